//! Checks of the graphs associations form over item indices: cycles and depth.
//! Iterative, so a hostile package cannot exhaust the stack.

/// A cycle of the graph of `nodes` nodes and `(from, to, association)` edges: its
/// nodes in order and the association that closes it.
pub(super) fn find_cycle(
    nodes: usize,
    edges: &[(usize, usize, usize)],
) -> Option<(Vec<usize>, usize)> {
    let mut adjacent = vec![Vec::new(); nodes];
    for (from, to, association) in edges {
        adjacent[*from].push((*to, *association));
    }
    // 0: unvisited, 1: on the current path, 2: done.
    let mut state = vec![0u8; nodes];
    for start in 0..nodes {
        if state[start] != 0 {
            continue;
        }
        // The current path: (node, next edge to follow).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            let Some(&(to, association)) = adjacent[node].get(*next) else {
                state[node] = 2;
                path.pop();
                continue;
            };
            *next += 1;
            match state[to] {
                0 => {
                    state[to] = 1;
                    path.push((to, 0));
                }
                1 => {
                    let from = path.iter().position(|(on_path, _)| *on_path == to)?;
                    let cycle = path[from..].iter().map(|(on_path, _)| *on_path).collect();
                    return Some((cycle, association));
                }
                _ => {}
            }
        }
    }
    None
}

/// The first node found more than `limit` levels deep in the acyclic graph of
/// `(child, parent, association)` edges (a node without parents is level 1).
pub(super) fn too_deep(
    nodes: usize,
    edges: &[(usize, usize, usize)],
    limit: usize,
) -> Option<usize> {
    let mut children = vec![Vec::new(); nodes];
    let mut parents_left = vec![0usize; nodes];
    for (child, parent, _) in edges {
        children[*parent].push(*child);
        parents_left[*child] += 1;
    }
    let mut depth = vec![1usize; nodes];
    let mut ready: Vec<usize> = (0..nodes).filter(|node| parents_left[*node] == 0).collect();
    while let Some(node) = ready.pop() {
        if depth[node] > limit {
            return Some(node);
        }
        for child in &children[node] {
            depth[*child] = depth[*child].max(depth[node] + 1);
            parents_left[*child] -= 1;
            if parents_left[*child] == 0 {
                ready.push(*child);
            }
        }
    }
    None
}

// The mastery grid of a class: a row per learner, a column per competency, each cell
// coloured by P(mastered) and marked ✓ when mastered (so colour is never the only
// sign). Headers are buttons that sort by learner, by skills mastered or by a column.

import { useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { band, count, percent } from './format.js';
import { href } from './route.js';

/** The performance mark set when the first grid's cells are in the page. */
export const GRID_RENDERED = 'learnlog:grid-rendered';

function cellWords(row, column, cell) {
  if (!cell) return `${row.display}, ${column.title}: no answers yet`;
  const state = cell.mastered ? 'mastered' : 'not mastered yet';
  return `${row.display}, ${column.title}: ${state}, ${percent(cell.p_mastered)} likely known, ${count(cell.evidence, 'answer')}`;
}

function Cell({ row, column, cell }) {
  if (!cell) {
    return <td class="cell none" title={cellWords(row, column, cell)} />;
  }
  return (
    <td
      class={`cell b${band(cell.p_mastered)}${cell.mastered ? ' mastered' : ''}`}
      title={cellWords(row, column, cell)}
      data-p={cell.p_mastered.toFixed(3)}
      data-mastered={cell.mastered ? 'true' : 'false'}
    >
      {cell.mastered ? '✓' : Math.round(cell.p_mastered * 100)}
    </td>
  );
}

function compare(sort) {
  const direction = sort.descending ? -1 : 1;
  if (sort.by === 'learner') {
    return (a, b) => direction * a.display.localeCompare(b.display) || a.learner.localeCompare(b.learner);
  }
  if (sort.by === 'mastered') {
    return (a, b) => direction * (a.mastered - b.mastered) || a.display.localeCompare(b.display);
  }
  const p = (row) => (row.cells[sort.by] ? row.cells[sort.by].p_mastered : -1);
  return (a, b) => direction * (p(a) - p(b)) || a.display.localeCompare(b.display);
}

function SortHeader({ sort, by, onSort, label, className, children }) {
  const active = sort.by === by;
  const ariaSort = active ? (sort.descending ? 'descending' : 'ascending') : undefined;
  return (
    <th scope="col" class={className} aria-sort={ariaSort}>
      <button type="button" onClick={() => onSort(by)} aria-label={label} title={label}>
        {children}
        <span class="arrow" aria-hidden="true">
          {active ? (sort.descending ? '▼' : '▲') : ''}
        </span>
      </button>
    </th>
  );
}

export function MasteryGrid({ grid }) {
  const [sort, setSort] = useState({ by: 'learner', descending: false });
  const rows = useMemo(() => [...grid.learners].sort(compare(sort)), [grid, sort]);

  useLayoutEffect(() => {
    if (rows.length > 0 && performance.getEntriesByName(GRID_RENDERED).length === 0) {
      performance.mark(GRID_RENDERED);
    }
  }, [rows]);

  // A new column is first sorted highest first (who is furthest along); names A to Z.
  const onSort = (by) =>
    setSort((now) => ({ by, descending: now.by === by ? !now.descending : by !== 'learner' }));

  return (
    <div class="grid-scroll" role="region" aria-labelledby="grid-title" tabIndex={0}>
      <table class="grid" id="mastery-grid">
        <caption id="grid-title">
          Mastery: {count(grid.learners.length, 'learner')} × {count(grid.competencies.length, 'skill')}
        </caption>
        <thead>
          <tr>
            <SortHeader sort={sort} by="learner" onSort={onSort} label="Sort by learner name" className="learner-col">
              Learner
            </SortHeader>
            <SortHeader sort={sort} by="mastered" onSort={onSort} label="Sort by number of skills mastered" className="total-col">
              ✓ total
            </SortHeader>
            {grid.competencies.map((column, index) => (
              <SortHeader
                key={column.competency}
                sort={sort}
                by={index}
                onSort={onSort}
                label={`Sort by ${column.title}`}
                className="competency-col"
              >
                <span class="vertical">{column.title}</span>
              </SortHeader>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.learner} data-learner={row.learner}>
              <th scope="row" class="learner-col">
                <a href={href.learner(row.learner)}>{row.display}</a>
              </th>
              <td class="total-col">{row.mastered}</td>
              {grid.competencies.map((column, index) => (
                <Cell key={column.competency} row={row} column={column} cell={row.cells[index]} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** How to read the grid. */
export function GridLegend() {
  return (
    <ul class="legend" aria-label="How to read the grid">
      <li><span class="cell b4 mastered">✓</span> mastered</li>
      <li><span class="cell b3">75</span> likely known, in % (darker is more)</li>
      <li><span class="cell b0">10</span> just beginning</li>
      <li><span class="cell none" /> no answers yet</li>
    </ul>
  );
}

// The dashboard's frame: sign-in first, then the header, the navigation and the view
// the address names. The class list (with each class's members) is read once at
// sign-in; the views find a learner's name and xAPI agent in it.

import { useEffect, useState } from 'preact/hooks';
import { api, currentCredential, explain, forget, ApiError } from './api.js';
import { href, useRoute } from './route.js';
import { forgetTitles } from './competencies.js';
import { SignIn } from './sign-in.jsx';
import { ClassView } from './class-view.jsx';
import { LearnerView } from './learner-view.jsx';
import { FamilyView } from './family-view.jsx';

/** The member record of `learner` in any class, with the classes it is in. */
export function findMember(classes, learner) {
  let found = null;
  const inClasses = [];
  for (const c of classes || []) {
    const member = c.members.find((m) => m.learner === learner);
    if (member) {
      found = found || member;
      inClasses.push(c);
    }
  }
  return found && { ...found, classes: inClasses };
}

function Home({ classes }) {
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">Classes</h1>
      {classes.length === 0 ? (
        <p>No classes yet. A class is created with PUT /v1/classes/&#123;id&#125;.</p>
      ) : (
        <ul class="class-list">
          {classes.map((c) => (
            <li key={c.id}>
              <a class="card-link" href={href.class(c.id)}>
                <strong>{c.name || c.id}</strong>
                <span>
                  {c.members.length} {c.members.length === 1 ? 'learner' : 'learners'}
                  {c.teachers.length > 0 && ` · ${c.teachers.join(', ')}`}
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => Boolean(currentCredential()));
  const [classes, setClasses] = useState(null);
  const [problem, setProblem] = useState('');
  const route = useRoute();

  const signOut = (message = '') => {
    forget();
    forgetTitles();
    setClasses(null);
    setSignedIn(false);
    setProblem(message);
  };

  useEffect(() => {
    if (!signedIn || classes) return;
    api
      .classes()
      .then(setClasses)
      .catch((error) => {
        if (error instanceof ApiError && error.status === 401) signOut(explain(error));
        else setProblem(explain(error));
      });
  }, [signedIn, classes]);

  if (!signedIn) {
    return (
      <SignIn
        message={problem}
        onSignedIn={(list) => {
          setProblem('');
          setClasses(list);
          setSignedIn(true);
        }}
      />
    );
  }

  const credential = currentCredential();
  let view;
  if (!classes) {
    view = problem ? <p role="alert" class="problem">{problem}</p> : <p class="loading">Loading classes…</p>;
  } else if (route.view === 'class') {
    view = <ClassView key={route.id} id={route.id} classes={classes} />;
  } else if (route.view === 'learner') {
    view = <LearnerView key={route.id} id={route.id} member={findMember(classes, route.id)} />;
  } else if (route.view === 'family') {
    view = <FamilyView key={route.id} id={route.id} member={findMember(classes, route.id)} />;
  } else {
    view = <Home classes={classes} />;
  }

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Main">
          <a class="brand" href={href.home()}>learnlog</a>
          {classes && classes.length > 0 && (
            <ul>
              {classes.map((c) => (
                <li key={c.id}>
                  <a
                    href={href.class(c.id)}
                    aria-current={route.view === 'class' && route.id === c.id ? 'page' : undefined}
                  >
                    {c.name || c.id}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div class="who">
          <span title="The credential's key">{credential && credential.key}</span>
          <button type="button" onClick={() => signOut()}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>{view}</main>
    </>
  );
}

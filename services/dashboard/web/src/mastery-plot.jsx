// Mastery over time, drawn with uPlot: how many skills the learner had mastered at
// each moment one was mastered (each competency's `mastered_at`), up to now. The same
// points are in a table under the plot for screen readers and for copying.

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { dateTime } from './format.js';

const axisDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
const axisTime = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

/** Tick labels: the day at midnight (and when ticks are a day or more apart), else the time. */
function timeTicks(_, ticks, __, ___, step) {
  return ticks.map((t) => {
    const at = new Date(t * 1000);
    const midnight = at.getHours() === 0 && at.getMinutes() === 0;
    return step >= 86400 || midnight ? axisDay.format(at) : axisTime.format(at);
  });
}

/** The plot's points from a mastery view: `[{at, mastered, title}]`, oldest first. */
export function masteredOverTime(mastery, titleOf, now = new Date()) {
  const moments = (mastery ? mastery.competencies : [])
    .filter((c) => c.mastered && c.mastered_at)
    .map((c) => ({ at: new Date(c.mastered_at), title: titleOf(c.competency) }))
    .sort((a, b) => a.at - b.at);
  const points = moments.map((m, i) => ({ at: m.at, mastered: i + 1, title: m.title }));
  const latest = points[points.length - 1];
  // "now" is never before the latest point (a statement's timestamp may be ahead of
  // this browser's clock)
  const at = latest && latest.at > now ? latest.at : now;
  points.push({ at, mastered: latest ? latest.mastered : 0, title: 'now' });
  return points;
}

function options(width) {
  return {
    width,
    height: 220,
    scales: { x: { time: true }, y: { range: (_, min, max) => [0, Math.max(1, max)] } },
    axes: [
      { stroke: '#444', grid: { stroke: '#eee' }, values: timeTicks },
      { stroke: '#444', grid: { stroke: '#eee' }, label: 'Skills mastered', size: 50 },
    ],
    series: [
      { label: 'When', value: (_, t) => (t == null ? '' : dateTime(new Date(t * 1000).toISOString())) },
      {
        label: 'Skills mastered',
        stroke: '#1f5fa8',
        width: 2,
        fill: 'rgba(31, 95, 168, 0.12)',
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: true, size: 6, fill: '#1f5fa8' },
      },
    ],
    cursor: { drag: { x: false, y: false } },
    legend: { show: true },
  };
}

function data(points) {
  return [points.map((p) => p.at.getTime() / 1000), points.map((p) => p.mastered)];
}

export function MasteryPlot({ points }) {
  const box = useRef(null);
  const chart = useRef(null);

  useEffect(() => {
    const element = box.current;
    chart.current = new uPlot(options(Math.max(280, element.clientWidth)), data(points), element);
    const resized = new ResizeObserver(() => {
      if (chart.current) chart.current.setSize({ width: Math.max(280, element.clientWidth), height: 220 });
    });
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.current.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (chart.current) chart.current.setData(data(points));
  }, [points]);

  const total = points.length ? points[points.length - 1].mastered : 0;
  return (
    <figure class="plot" aria-labelledby="plot-caption">
      <figcaption id="plot-caption">
        Skills mastered over time: {total} now.
      </figcaption>
      <div ref={box} class="plot-box" data-points={points.length} data-last={total} aria-hidden="true" />
      <details>
        <summary>Show as a table</summary>
        <table class="plain" id="plot-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Skills mastered</th>
              <th scope="col">Newly mastered</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={i}>
                <td>{p.title === 'now' ? 'now' : dateTime(p.at.toISOString())}</td>
                <td>{p.mastered}</td>
                <td>{p.title === 'now' ? '' : p.title}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

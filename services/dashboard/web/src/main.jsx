// The dashboard's entry: draws the app into the page.

import { render } from 'preact';
import { App } from './app.jsx';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

render(<App />, document.getElementById('app'));

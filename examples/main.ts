import { App } from 'cdk8s';
import { addExampleCharts } from './app';

const app = new App();
addExampleCharts(app);
app.synth();

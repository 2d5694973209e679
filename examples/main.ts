import { App } from 'cdk8s';
import { ModelServerChart } from './model-server';
import { TraefikBasicAuthChart } from './traefik-basic-auth';

const app = new App();
new ModelServerChart(app, 'model-server');
new TraefikBasicAuthChart(app, 'traefik-basic-auth');
app.synth();

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../src/app-context';
import { ParcelStack } from '../src/parcel-stack';

// `npm run synth -w @parcel/infra`: writes infra/cdk.out offline. cdk-nag's AWS Solutions pack runs as a
// validation plugin, so an unacknowledged finding fails the synth.
const app = new App();
new ParcelStack(app, 'ParcelTracking', {
  ...stackPropsFromContext(app),
  description: 'Parcel tracking API traced end to end with AWS X-Ray',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();

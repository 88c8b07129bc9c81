// azure_client.mjs MODE RESOURCE [CLIENT_ID] - the official @azure/identity
// gets a token for RESOURCE and prints it:
//   imds          ManagedIdentityCredential, IMDS at $AZURE_POD_IDENTITY_AUTHORITY_HOST
//   app_service   ManagedIdentityCredential, $IDENTITY_ENDPOINT / $IDENTITY_HEADER
//   workload      WorkloadIdentityCredential from $AZURE_FEDERATED_TOKEN_FILE,
//                 $AZURE_CLIENT_ID, $AZURE_TENANT_ID, $AZURE_AUTHORITY_HOST
//                 (instance discovery off: it would ask login.microsoftonline.com)
import { ManagedIdentityCredential, WorkloadIdentityCredential } from '@azure/identity';

const [mode, resource, clientId] = process.argv.slice(2);
const scope = resource.endsWith('/.default') ? resource : `${resource}/.default`;
let cred;
if (mode === 'workload') {
  cred = new WorkloadIdentityCredential({
    authorityHost: process.env.AZURE_AUTHORITY_HOST,
    disableInstanceDiscovery: true,
  });
} else {
  cred = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}
const tok = await cred.getToken(scope);
process.stdout.write(tok.token + '\n');

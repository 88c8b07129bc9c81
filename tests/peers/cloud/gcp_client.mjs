// gcp_client.mjs AUDIENCE - the official google-auth-library fetches an ID
// token from the metadata server at $GCE_METADATA_HOST (the Compute client,
// the code path google-auth-library takes on GCE/GKE/Cloud Run) and prints it.
import { Compute } from 'google-auth-library';

const aud = process.argv[2];
const tok = await new Compute().fetchIdToken(aud);
process.stdout.write(tok + '\n');

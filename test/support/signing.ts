/** Tests sign webhooks exactly as `cutwater phony` does. */
export { githubSignature, signedHeaders } from '../../shared/webhook/signing';

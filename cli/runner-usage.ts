/** `cutwater runner --help`, kept apart so the command list can show it without loading the runner. */
export const RUNNER_USAGE = `Usage: cutwater runner --cluster NAME [--kubeconfig FILE] [--config-path FILE] [--job-config-path DIR]
                       [--namespace NS] [--artifacts-bucket BUCKET] [--port N]
                       [--lease-ttl DURATION] [--heartbeat DURATION]

The runner agent for one build cluster: leases the cluster's triggered ProwJobs from Firestore and
runs them as pods, reporting their state back. Needs no inbound network access. Several replicas
may run at once; leases keep each job on one runner.

  --cluster NAME            the build cluster's name, as jobs' "cluster:" field says (required)
  --kubeconfig FILE         a kubeconfig; without it the in-cluster service account is used
  --config-path FILE        Prow's config.yaml (default: $CONFIG_PATH; or set $CONFIG_SNAPSHOTS=gs://bucket/prefix
                            to follow the config snapshots the config-updater plugin publishes)
  --job-config-path DIR     job-config directory or file (default: $JOB_CONFIG_PATH)
  --namespace NS            namespace for job pods (default: the config's pod_namespace)
  --artifacts-bucket BUCKET GCS bucket for logs and artifacts in Prow's layout (default: $ARTIFACTS_BUCKET)
  --port N                  port for /healthz (default: $PORT or 8080)
  --lease-ttl DURATION      how long a job's lease lasts unless renewed, as a Go duration: a dead
                            runner's jobs are taken over after at most this long (default: $LEASE_TTL or 60s)
  --heartbeat DURATION      how often held jobs are checked; a lease is renewed at the heartbeat
                            once half of it is left. Shorter than the lease TTL
                            (default: $HEARTBEAT or a sixth of the lease TTL)

Environment: GOOGLE_CLOUD_PROJECT (and FIRESTORE_EMULATOR_HOST for the emulator).
SIGTERM or Ctrl-C gives every lease back, so another runner adopts the running pods at once.`;

import type { DecorationConfig } from '../prowjob/schema';

/**
 * Prow's `DecorationConfig.ApplyDefault`: a value the job sets wins; anything it leaves unset
 * comes from the default. "Unset" follows Go's zero values: an absent pointer, an empty string
 * for string fields Prow stores by value, an empty list.
 */
export function applyDecorationDefault(
  own: DecorationConfig | undefined,
  fallback: DecorationConfig | undefined,
): DecorationConfig | undefined {
  if (!own && !fallback) return undefined;
  if (!own || !fallback) return structuredClone((own ?? fallback)!);
  const merged: DecorationConfig = structuredClone(own);
  merged.utility_images = mergeStringFields(merged.utility_images, fallback.utility_images);
  merged.resources = mergePresentFields(merged.resources, fallback.resources);
  merged.gcs_configuration = mergeGcsConfiguration(merged.gcs_configuration, fallback.gcs_configuration);
  merged.censoring_options = mergePresentFields(merged.censoring_options, fallback.censoring_options);
  merged.scheduling_options = mergePresentFields(merged.scheduling_options, fallback.scheduling_options);
  const presenceDefaulted = [
    'timeout',
    'grace_period',
    'gcs_credentials_secret',
    's3_credentials_secret',
    'default_service_account_name',
    'skip_cloning',
    'cookiefile_secret',
    'oauth_token_secret',
    'github_app_private_key_secret',
    'censor_secrets',
    'upload_ignores_interrupts',
    'set_limit_equals_memory_request',
    'default_memory_request',
    'pod_pending_timeout',
    'pod_running_timeout',
    'pod_unscheduled_timeout',
    'run_as_user',
    'run_as_group',
    'fs_group',
    'blobless_fetch',
  ] as const satisfies readonly (keyof DecorationConfig)[];
  for (const key of presenceDefaulted) {
    if (merged[key] === undefined && fallback[key] !== undefined) {
      (merged as Record<string, unknown>)[key] = structuredClone(fallback[key]);
    }
  }
  for (const key of [
    'ssh_key_secrets',
    'ssh_host_fingerprints',
    'github_api_endpoints',
    'sparse_checkout_files',
  ] as const) {
    if (!merged[key]?.length && fallback[key]) merged[key] = [...fallback[key]];
  }
  if (!merged.github_app_id && fallback.github_app_id) merged.github_app_id = fallback.github_app_id;
  return merged;
}

/** Later entries override earlier ones, and the job's own config overrides them all. */
export function mergeDecorationDefaults(
  entries: readonly (DecorationConfig | undefined)[],
  own: DecorationConfig | undefined,
): DecorationConfig {
  let merged: DecorationConfig | undefined;
  for (const entry of entries) merged = applyDecorationDefault(entry, merged);
  return applyDecorationDefault(own, merged) ?? {};
}

function mergeStringFields<T extends Record<string, string | undefined>>(
  own: T | undefined,
  fallback: T | undefined,
): T | undefined {
  if (!own) return fallback ? { ...fallback } : undefined;
  if (!fallback) return own;
  const merged: Record<string, string | undefined> = { ...own };
  for (const [key, value] of Object.entries(fallback)) if (!merged[key]) merged[key] = value;
  return merged as T;
}

function mergePresentFields<T extends object>(own: T | undefined, fallback: T | undefined): T | undefined {
  if (!own) return fallback ? structuredClone(fallback) : undefined;
  if (!fallback) return own;
  const merged: Record<string, unknown> = { ...(own as Record<string, unknown>) };
  for (const [key, value] of Object.entries(fallback as Record<string, unknown>)) {
    if (merged[key] === undefined) merged[key] = structuredClone(value);
  }
  return merged as T;
}

type GcsConfiguration = NonNullable<DecorationConfig['gcs_configuration']>;

function mergeGcsConfiguration(
  own: GcsConfiguration | undefined,
  fallback: GcsConfiguration | undefined,
): GcsConfiguration | undefined {
  if (!own || !fallback) return own ?? (fallback ? structuredClone(fallback) : undefined);
  const merged: GcsConfiguration = { ...own };
  for (const key of [
    'bucket',
    'path_prefix',
    'default_org',
    'default_repo',
    'job_url_prefix',
    'local_output_dir',
  ] as const) {
    if (!merged[key] && fallback[key]) merged[key] = fallback[key];
  }
  if (!merged.path_strategy && fallback.path_strategy) merged.path_strategy = fallback.path_strategy;
  if (merged.compress_file_types === undefined && fallback.compress_file_types) {
    merged.compress_file_types = [...fallback.compress_file_types];
  }
  // Prow copies the default media types over the job's own (its maps.Copy argument order).
  if (fallback.mediaTypes && Object.keys(fallback.mediaTypes).length > 0) {
    merged.mediaTypes = { ...(merged.mediaTypes ?? {}), ...fallback.mediaTypes };
  }
  return merged;
}

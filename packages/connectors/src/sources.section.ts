import { readSecret, type Secret, type Section } from '@shewhart/config';
import { DetectionActivity, IntroducedPhase, Resolution, Severity } from '@shewhart/events';
import { z } from 'zod';

/**
 * The `sources` section of the configuration file: which repository, project or board belongs to which
 * team, how labels and fields become severities, phases and activities, which environments are
 * production, which events to ignore. Secrets are never written here: the file names the environment
 * variable that holds each one (`secretEnv`, `tokenEnv`).
 */
const EnvName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must name an environment variable (e.g. SHEWHART_GITHUB_SECRET); the secret itself never goes in this file',
  );
const Name = z.string().min(1).max(128);
const Target = z.strictObject({ team: Name, project: Name.optional() });
const labels = <T extends z.ZodType>(value: T) => z.record(z.string().min(1), value).default({});
const Url = z.url({ message: 'must be an http(s) URL' }).regex(/^https?:\/\//, 'must be an http(s) URL');

/** Label mappings GitHub and GitLab share (issues as defects, merge/pull requests as reviews). */
const labelOptions = {
  /** Issues carrying one of these labels are defects; others are ignored. */
  defectLabels: z.array(z.string().min(1)).default(['bug']),
  severityLabels: labels(Severity),
  activityLabels: labels(DetectionActivity),
  phaseLabels: labels(IntroducedPhase),
  /** A closed defect with one of these labels is resolved so (default: duplicate, invalid, wontfix). */
  resolutionLabels: labels(Resolution),
  /** A defect without a severity label. */
  defaultSeverity: Severity.default('major'),
  /** A defect without an activity label: issues are mostly filed from what users saw. */
  defaultActivity: DetectionActivity.default('production'),
  /** Environment names (globs: `prod-*`) whose deployments are production deployments. */
  productionEnvironments: z.array(z.string().min(1)).default(['production']),
  /** Count a merged request's review comments as defects found by the review. */
  reviewCommentsAsDefects: z.boolean().default(false),
  /** Ship pre-releases as releases too. */
  includePrereleases: z.boolean().default(false),
};

const GITHUB_EVENTS = [
  'issues',
  'pull_request',
  'pull_request_review',
  'deployment_status',
  'release',
  'milestone',
] as const;
const GITLAB_EVENTS = ['issue', 'merge_request', 'deployment', 'release'] as const;

export const GithubSource = z.strictObject({
  secretEnv: EnvName,
  /** REST API root (GitHub Enterprise: https://HOST/api/v3), for backfill and milestone look-ups. */
  apiUrl: Url.default('https://api.github.com'),
  /** A token for the REST API (backfill; the due date of a release's milestone). */
  apiTokenEnv: EnvName.optional(),
  repositories: z.record(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/name'), Target).default({}),
  ignore: z.array(z.enum(GITHUB_EVENTS)).default([]),
  ...labelOptions,
});

export const GitlabSource = z.strictObject({
  /** The environment variable holding the webhook's secret token (`X-Gitlab-Token`). */
  tokenEnv: EnvName,
  apiUrl: Url.default('https://gitlab.com/api/v4'),
  /** A token for the REST API (backfill; the size of a merge request, which hooks do not carry). */
  apiTokenEnv: EnvName.optional(),
  projects: z.record(z.string().min(1), Target).default({}),
  ignore: z.array(z.enum(GITLAB_EVENTS)).default([]),
  ...labelOptions,
});

/** A Jira field: `priority`, `labels`, `components` or a custom field id (`customfield_10050`). */
const FieldMap = <T extends z.ZodType>(value: T) =>
  z.strictObject({ field: z.string().min(1), values: z.record(z.string().min(1), value).default({}) });

export const JiraSource = z.strictObject({
  secretEnv: EnvName,
  projects: z
    .record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be a Jira project key (PAY)'), Target)
    .default({}),
  defectIssueTypes: z.array(z.string().min(1)).default(['Bug']),
  severity: FieldMap(Severity).default({
    field: 'priority',
    values: { Highest: 'critical', High: 'major', Medium: 'minor', Low: 'trivial', Lowest: 'trivial' },
  }),
  phase: FieldMap(IntroducedPhase).optional(),
  activity: FieldMap(DetectionActivity).optional(),
  /** The field whose value is the root-cause category, copied as it is. */
  rootCauseField: z.string().min(1).optional(),
  /** Jira resolution names → contract resolutions; unlisted names are `fixed`. */
  resolutions: labels(Resolution),
  defaultSeverity: Severity.default('major'),
  defaultActivity: DetectionActivity.default('production'),
});

/** CDEvents producers (Tekton, Keptn, Spinnaker, …) by their CloudEvents `source`, or a prefix of it. */
export const CdeventsSource = z.strictObject({
  sources: z.record(z.string().min(1), Target).default({}),
  productionEnvironments: z.array(z.string().min(1)).default(['production', 'prod']),
  defaultSeverity: Severity.default('major'),
  defaultActivity: DetectionActivity.default('production'),
});

export const SourcesConfig = z.strictObject({
  /** The team of a repository, project or board the tables below do not name. */
  defaultTeam: Name.default('unassigned'),
  github: GithubSource.optional(),
  gitlab: GitlabSource.optional(),
  jira: JiraSource.optional(),
  cdevents: CdeventsSource.optional(),
});

export type SourcesConfig = z.output<typeof SourcesConfig>;
export type GithubSource = z.output<typeof GithubSource>;
export type GitlabSource = z.output<typeof GitlabSource>;
export type JiraSource = z.output<typeof JiraSource>;
export type CdeventsSource = z.output<typeof CdeventsSource>;

export const DEFAULT_RESOLUTION_LABELS = {
  duplicate: 'duplicate',
  invalid: 'not_a_defect',
  wontfix: 'wont_fix',
} as const;

/** The section as `@shewhart/config` reads it; what the schema cannot say is checked here. */
export const SOURCES_SECTION: Section<SourcesConfig> = {
  schema: SourcesConfig as unknown as z.ZodType<SourcesConfig>,
  check(sources, report) {
    for (const tool of ['github', 'gitlab'] as const) {
      const s = sources[tool];
      if (!s) continue;
      // A label that is both a defect label and a severity label is fine; one label meaning two
      // severities cannot happen (a mapping), but an empty defect list silently ignores every issue.
      if (s.defectLabels.length === 0) report([tool, 'defectLabels'], 'must name at least one label');
      for (const [secretKey, name] of Object.entries({
        ...(tool === 'github'
          ? { secretEnv: (s as GithubSource).secretEnv }
          : { tokenEnv: (s as GitlabSource).tokenEnv }),
      })) {
        if (name === s.apiTokenEnv)
          report([tool, 'apiTokenEnv'], `must not be the same variable as ${secretKey}`);
      }
    }
    if (sources.jira && sources.jira.defectIssueTypes.length === 0) {
      report(['jira', 'defectIssueTypes'], 'must name at least one issue type');
    }
  },
};

/**
 * The secrets the section names, read from the environment once at start-up. Each is a `Secret`: it
 * prints as `[secret]` in logs and JSON; only the verifying code calls `reveal()`.
 */
export interface SourceSecrets {
  github?: Secret;
  githubApi?: Secret;
  gitlab?: Secret;
  gitlabApi?: Secret;
  jira?: Secret;
}

/** Resolves every `*Env` of the section; a variable that is not set (or blank) stays undefined. */
export function resolveSecrets(
  sources: SourcesConfig | undefined,
  env: Record<string, string | undefined> = process.env,
): SourceSecrets {
  const get = (name: string | undefined) => (name ? readSecret(name, env) : undefined);
  return {
    github: get(sources?.github?.secretEnv),
    githubApi: get(sources?.github?.apiTokenEnv),
    gitlab: get(sources?.gitlab?.tokenEnv),
    gitlabApi: get(sources?.gitlab?.apiTokenEnv),
    jira: get(sources?.jira?.secretEnv),
  };
}

/** The section when the file has none: every source unmapped, no webhook verifiable. */
export const EMPTY_SOURCES: SourcesConfig = SourcesConfig.parse({});

/**
 * What the runtime gives the webhook routes: the section (or an empty one) and its secrets, with the
 * configured tools whose secret variable is not set (their webhooks are refused, 401) and one line
 * saying so (undefined when every configured tool can verify its webhooks).
 */
export function webhookSources(
  sources: SourcesConfig | undefined,
  env: Record<string, string | undefined> = process.env,
): {
  config: SourcesConfig;
  secrets: SourceSecrets;
  unverifiable: { tool: string; field: string; variable: string }[];
  warning: string | undefined;
} {
  const config = sources ?? EMPTY_SOURCES;
  const secrets = resolveSecrets(config, env);
  const unverifiable: { tool: string; field: string; variable: string }[] = [];
  if (config.github && !secrets.github)
    unverifiable.push({ tool: 'github', field: 'secretEnv', variable: config.github.secretEnv });
  if (config.gitlab && !secrets.gitlab)
    unverifiable.push({ tool: 'gitlab', field: 'tokenEnv', variable: config.gitlab.tokenEnv });
  if (config.jira && !secrets.jira)
    unverifiable.push({ tool: 'jira', field: 'secretEnv', variable: config.jira.secretEnv });
  const warning =
    unverifiable.length === 0
      ? undefined
      : `webhooks from ${unverifiable.map((u) => u.tool).join(', ')} are refused (401) until ${unverifiable
          .map((u) => `${u.variable} (sources.${u.tool}.${u.field})`)
          .join(', ')} ${unverifiable.length === 1 ? 'is' : 'are'} set; see docs/connectors/`;
  return { config, secrets, unverifiable, warning };
}

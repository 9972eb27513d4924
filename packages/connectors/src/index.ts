export {
  type BackfillCursor,
  type BackfillIO,
  type BackfillTotals,
  backfillGithub,
  backfillGitlab,
  newCursor,
} from './backfill.js';
export { type CdeventsContext, type CdeventsDelivery, mapCdevents, readCdevent } from './cdevents.mapping.js';
export {
  type GithubContext,
  type GithubDelivery,
  type GithubLookups,
  mapGithub,
  matchMilestone,
} from './github.mapping.js';
export { type GitlabContext, type GitlabDelivery, type GitlabLookups, mapGitlab } from './gitlab.mapping.js';
export { nextLink, type Page, RestClient, RestError, type RestOptions } from './http.js';
export { type JiraContext, mapJira } from './jira.mapping.js';
export {
  all,
  githubClient,
  githubLookups,
  gitlabClient,
  gitlabLookups,
  mergeRequestSize,
} from './lookups.js';
export { globMatch, type Mapped, timestamp } from './mapping.js';
export { hmacSha256Hex, signHub, verifyHubSignature, verifyToken } from './signature.js';
export {
  CdeventsSource,
  EMPTY_SOURCES,
  GithubSource,
  GitlabSource,
  JiraSource,
  resolveSecrets,
  SOURCES_SECTION,
  type SourceSecrets,
  SourcesConfig,
  webhookSources,
} from './sources.section.js';

export { type CdeventsContext, type CdeventsDelivery, mapCdevents, readCdevent } from './cdevents.mapping.js';
export {
  type GithubContext,
  type GithubDelivery,
  type GithubLookups,
  mapGithub,
  matchMilestone,
} from './github.mapping.js';
export { type GitlabContext, type GitlabDelivery, type GitlabLookups, mapGitlab } from './gitlab.mapping.js';
export { type JiraContext, mapJira } from './jira.mapping.js';
export { globMatch, type Mapped, timestamp } from './mapping.js';
export { hmacSha256Hex, signHub, verifyHubSignature, verifyToken } from './signature.js';
export {
  type CdeventsSource,
  EMPTY_SOURCES,
  type GithubSource,
  type GitlabSource,
  type JiraSource,
  resolveSecrets,
  SOURCES_SECTION,
  type SourceSecrets,
  SourcesConfig,
} from './sources.section.js';

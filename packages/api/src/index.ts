export { buildHttpApp, type HttpAppOptions, PUBLIC_ROUTES } from './app.js';
export { type Access, Authenticator, type TokenLists, type Verdict } from './auth.js';
export {
  type BodyLimits,
  checkShape,
  DEFAULT_BODY_LIMITS,
  decodeBody,
  parseJsonBody,
  parseNdjsonBody,
} from './body.js';
export { ApiError, ERROR_STATUS, type ErrorKind, sendError } from './errors.js';
export { toWebAlert } from './web.routes.js';

/** Teams alerts on new FAILs: build the card (or a run's digest), route it, look up waivers, send it within Teams' limits. */
export { buildTeamsMessage, TEAMS_BUDGET_BYTES, ADAPTIVE_CARD_SCHEMA, YOURS_TO_FIX } from './teams.js';
export type { TeamsMessage, TeamsMessageInput, TeamsCluster, TeamsBody, AdaptiveCard, CardElement } from './teams.js';
export { waiverLookup } from './waived.js';
export type { WaivedBy, WaiverLike } from './waived.js';
export { sendTeams, parseWebhookUrl, redactUrl, TEAMS_SETTING } from './send.js';
export { retryAfterMs } from '../http/retry-after.js';
export type { AlertOutcome, SendOptions } from './send.js';
export { createRateLimiter, teamsRateLimiter } from './rate-limit.js';
export type { RateLimiter, RateLimiterOptions } from './rate-limit.js';
export { buildDigest, waiversExpiredSince, DIGEST_LINES_PER_CLUSTER } from './digest.js';
export type { ClusterChange, DigestCluster, DigestInput, DigestMessage, DigestOutcome, ExpiredWaiver } from './digest.js';
export { alertRoutes, groupByChannel, routeFor, routeUrlSetting, ROUTES_SETTING, DEFAULT_CHANNEL } from './routes.js';
export type { AlertRoute, AlertRouting, ChannelGroup, RoutedCluster, RouteRule } from './routes.js';
export { clusterLink, dashboardBase } from './links.js';

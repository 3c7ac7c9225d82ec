export {
  BusClosedError,
  BusError,
  InvalidMessageError,
  InvalidSubjectError,
  NatsServerMissingError,
  NatsServerStartError,
  RemoteError,
  RequestFailedError,
  RequestTimeoutError,
  TownNotRunningError,
} from './errors.js';
export {
  SUBJECT_ROOT,
  assertToken,
  assertTown,
  cmd,
  evt,
  hb,
  mail,
  nudge,
  parseSubject,
  patterns,
} from './subjects.js';
export type { ParsedSubject, SubjectKind } from './subjects.js';
export {
  addressToSubjectTokens,
  formatAddress,
  isKnownPath,
  parseAddress,
  subjectTokensToAddress,
} from './address.js';
export type { Address } from './address.js';
export {
  MESSAGE_TYPES,
  addressTextSchema,
  beadSchema,
  closeOptionsSchema,
  createInputSchema,
  isMessageType,
  messageSchemas,
  updateInputSchema,
} from './messages.js';
export type { MessageBody, MessageType } from './messages.js';
export {
  MESSAGE_ID_RE,
  TRACEPARENT_RE,
  childTraceparent,
  createEnvelope,
  decode,
  encode,
  newMessageId,
  newTraceparent,
  traceIdOf,
  validateEnvelope,
} from './envelope.js';
export type { AnyEnvelope, DecodeResult, Envelope } from './envelope.js';
export { checkReply, errorReply, JsonResult, okReply, replySchema, unwrapReply } from './reply.js';
export type { Reply, ReplyError } from './reply.js';
export { findFreePort } from './free-port.js';
export { DEFAULT_NATS_SERVER_BIN, renderNatsConfig, startNatsServer } from './nats-server.js';
export type { NatsServerExit, NatsServerHandle, NatsServerOptions } from './nats-server.js';
export { connectBus } from './connection.js';
export type {
  BusConnection,
  BusLog,
  BusSubscription,
  ConnectBusOptions,
  InvalidMessage,
  MessageContext,
  MessageHandler,
  SubscribeOptions,
} from './connection.js';
export { ensureEventStream, eventStreamName, replayEvents } from './event-stream.js';
export type { EventRetention, ReplayedEvent } from './event-stream.js';
export { parseDuration, parseSince, parseTimeoutMs } from './duration.js';
export { PROBLEM_EVENTS, PROBLEM_SEVERITIES, isProblem, isProblemToken, problemReason } from './problems.js';
export type { ProblemCandidate } from './problems.js';
export {
  BusUnreachableError,
  FeedMerger,
  candidateOf,
  clockTime,
  formatObserved,
  isTownSubject,
  kindOf,
  observeMessage,
  observeReplayed,
  observedProblem,
  observedRecord,
  parseTraceArg,
  patternIncludesRaw,
  patternProblem,
  replayError,
  summarize,
  traceFilter,
  traceIdOfObserved,
  unreachableError,
} from './observer.js';
export type {
  FormatOptions,
  InvalidObserved,
  Observed,
  ObservedRecord,
  ObserverTarget,
  RawMessage,
  ValidObserved,
} from './observer.js';
export { Delivery, peekHeader } from './delivery.js';
export type { EnvelopeHeader } from './delivery.js';

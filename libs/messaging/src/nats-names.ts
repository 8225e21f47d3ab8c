import { MessagingError, MessagingErrorCode } from './messaging.error';

/**
 * Every subject and stream name Steward uses on NATS, from one prefix:
 * '' in production, the test env's `natsPrefix` in tests, so that test files
 * running in parallel never see each other. Subjects get `<prefix>.`, stream
 * names `<PREFIX>_` (upper-cased): `t1abc.events.jobs.JobFinished` lives in
 * the stream `T1ABC_EVENTS`.
 */
export interface NatsNames {
  /** The raw prefix ('' in production). */
  readonly prefix: string;
  /** Put in front of every subject: '' or `<prefix>.` */
  readonly subjectPrefix: string;
  /** Put in front of every stream name: '' or `<PREFIX>_` */
  readonly streamPrefix: string;
  /** `<PREFIX>_EVENTS`: every domain event the relay publishes. */
  readonly eventsStream: string;
  /** `<PREFIX>_DLQ`: messages a consumer gave up on. */
  readonly deadLetterStream: string;
  /** `<p>events.>` */
  readonly eventsSubjects: string;
  /** `<p>dlq.>` */
  readonly deadLetterSubjects: string;
  /** `<p>events.<context>.<EventType>` */
  eventSubject(context: string, eventType: string): string;
  /** `<p>events.<context>.>`: a consumer filter for one bounded context. */
  contextSubjects(context: string): string;
  /** `<p>dlq.<durable>` */
  deadLetterSubject(durable: string): string;
  /** `<p>cmd.<context>.<CommandType>`: the NATS request/reply subject of a command. */
  commandSubject(context: string, commandType: string): string;
  /** `<p><tokens joined by '.'>`, for subjects outside the catalogue above. */
  subject(...tokens: string[]): string;
  /** `<PREFIX>_<NAME>` for streams outside the catalogue above. */
  stream(name: string): string;
}

const PREFIX = /^[A-Za-z0-9_-]*$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Replaces what a subject token may not contain ('.', '*', '>', whitespace, …) with '_'. */
export function toSubjectToken(text: string): string {
  const token = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return token.length > 0 ? token : '_';
}

function checkToken(token: string, what: string): string {
  if (!TOKEN.test(token)) {
    throw new MessagingError(MessagingErrorCode.InvalidArgument, `${what} is not a valid subject token: ${JSON.stringify(token)}`);
  }
  return token;
}

/** `prefix`: '' or the raw prefix; a trailing '.' is accepted and ignored. */
export function natsNames(prefix = ''): NatsNames {
  const raw = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  if (!PREFIX.test(raw)) {
    throw new MessagingError(MessagingErrorCode.InvalidArgument, `not a usable NATS prefix: ${JSON.stringify(prefix)}`);
  }
  const subjectPrefix = raw ? `${raw}.` : '';
  const streamPrefix = raw ? `${raw.toUpperCase()}_` : '';
  const subject = (...tokens: string[]): string => `${subjectPrefix}${tokens.join('.')}`;
  return Object.freeze({
    prefix: raw,
    subjectPrefix,
    streamPrefix,
    eventsStream: `${streamPrefix}EVENTS`,
    deadLetterStream: `${streamPrefix}DLQ`,
    eventsSubjects: subject('events', '>'),
    deadLetterSubjects: subject('dlq', '>'),
    eventSubject: (context: string, eventType: string) =>
      subject('events', checkToken(context, 'context'), checkToken(eventType, 'event type')),
    contextSubjects: (context: string) => subject('events', checkToken(context, 'context'), '>'),
    deadLetterSubject: (durable: string) => subject('dlq', checkToken(durable, 'durable name')),
    commandSubject: (context: string, commandType: string) =>
      subject('cmd', checkToken(context, 'context'), checkToken(commandType, 'command type')),
    subject,
    stream: (name: string) => `${streamPrefix}${checkToken(name, 'stream name').toUpperCase()}`,
  });
}

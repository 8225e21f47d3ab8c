import { MessagingError } from './messaging.error';
import { natsNames, toSubjectToken } from './nats-names';

describe('natsNames', () => {
  it('has no prefix in production', () => {
    const names = natsNames('');
    expect(names.eventsStream).toBe('EVENTS');
    expect(names.deadLetterStream).toBe('DLQ');
    expect(names.eventsSubjects).toBe('events.>');
    expect(names.eventSubject('usage', 'UsageRecorded')).toBe('events.usage.UsageRecorded');
    expect(names.deadLetterSubject('billing-usage')).toBe('dlq.billing-usage');
    expect(names.commandSubject('team', 'CreateOrganization')).toBe('cmd.team.CreateOrganization');
  });

  it('puts a test prefix before subjects and, upper-cased, before stream names', () => {
    const names = natsNames('t1abc');
    expect(names.subjectPrefix).toBe('t1abc.');
    expect(names.eventsStream).toBe('T1ABC_EVENTS');
    expect(names.deadLetterStream).toBe('T1ABC_DLQ');
    expect(names.contextSubjects('jobs')).toBe('t1abc.events.jobs.>');
    expect(names.stream('usage_ingest')).toBe('T1ABC_USAGE_INGEST');
    expect(natsNames('t1abc.').eventsSubjects).toBe('t1abc.events.>');
  });

  it('refuses tokens that would change the subject structure', () => {
    expect(() => natsNames('a.b')).toThrow(MessagingError);
    expect(() => natsNames('').eventSubject('usage.x', 'UsageRecorded')).toThrow(/not a valid subject token/);
    expect(() => natsNames('').deadLetterSubject('*')).toThrow(MessagingError);
    expect(toSubjectToken('a.b *>c')).toBe('a_b___c');
  });
});

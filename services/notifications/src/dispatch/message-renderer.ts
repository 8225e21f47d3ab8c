import type { NotificationPayload } from '@steward/contracts';

/** A message in words: what Slack and email show (a webhook gets the JSON envelope itself). */
export interface RenderedMessage {
  readonly title: string;
  readonly text: string;
  /** Label → value, in order. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

type Data = Record<string, unknown>;
type Renderer = (data: Data) => RenderedMessage;

const str = (value: unknown): string => (value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * One renderer per event type, keyed by the type's name: the events of other contexts are read by
 * name and field, so a context that is not built yet (budgets) is rendered from the fields it
 * promises; a field missing renders as "—", and a type without a renderer falls back to the
 * generic one.
 */
const RENDERERS: Record<string, Renderer> = {
  BudgetThresholdCrossed: (d) => {
    const period = (d.period ?? {}) as Data;
    return {
      title: `Budget "${str(d.budgetName)}" crossed ${str(d.thresholdPercent)} %`,
      text: `Spend is ${str(d.spendUsd)} USD of a ${str(d.limitUsd)} USD limit for ${str(period.label ?? `${str(period.start)} – ${str(period.end)}`)} (enforcement: ${str(d.enforcement)}).`,
      fields: [
        ['Budget', str(d.budgetName)],
        ['Threshold', `${str(d.thresholdPercent)} %`],
        ['Spend (USD)', str(d.spendUsd)],
        ['Limit (USD)', str(d.limitUsd)],
        ['Period', str(period.label ?? `${str(period.start)} – ${str(period.end)}`)],
        ['Workspace', str(d.workspaceId)],
        ['Crossed at', str(d.crossedAt)],
      ],
    };
  },
  LowCreditBalanceReached: (d) => ({
    title: 'Credit balance is low',
    text: `The credit balance is ${str(d.balance)}, at or below the alert threshold of ${str(d.threshold)}.`,
    fields: [
      ['Balance', str(d.balance)],
      ['Threshold', str(d.threshold)],
      ['Reached at', str(d.reachedAt)],
    ],
  }),
  InvoiceIssued: (d) => ({
    title: `Invoice ${str(d.number)} issued`,
    text: `Invoice ${str(d.number)} for ${str(d.periodStart)} – ${str(d.periodEnd)} was issued${d.totalUsd !== undefined ? `: ${str(d.totalUsd)} USD` : ''}, due ${str(d.dueAt)}.`,
    fields: [
      ['Invoice', str(d.number)],
      ...(d.totalUsd !== undefined ? ([['Total (USD)', str(d.totalUsd)]] as Array<[string, string]>) : []),
      ['Period', `${str(d.periodStart)} – ${str(d.periodEnd)}`],
      ['Due', str(d.dueAt)],
    ],
  }),
  RuntimeTestFailed: (d) => ({
    title: `Runtime connection test failed (${str(d.failure)})`,
    text: `The connection test of runtime ${str(d.runtimeId)} failed: ${str(d.message)}`,
    fields: [
      ['Runtime', str(d.runtimeId)],
      ['Workspace', str(d.workspaceId)],
      ['Failure', str(d.failure)],
      ['Status code', str(d.statusCode)],
      ['Tested at', str(d.testedAt)],
    ],
  }),
  NotificationTest: (d) => ({
    title: 'Test notification from Steward',
    text: `This channel (${str(d.channelName)}) receives Steward's notifications.`,
    fields: [['Channel', str(d.channelName)]],
  }),
};

function generic(type: string, data: Data): RenderedMessage {
  const fields = Object.entries(data)
    .filter(([, value]) => value === null || ['string', 'number', 'boolean'].includes(typeof value))
    .slice(0, 12)
    .map(([key, value]) => [key, str(value)] as const);
  return { title: type, text: `${type} happened.`, fields };
}

export function renderMessage(payload: NotificationPayload): RenderedMessage {
  const renderer = RENDERERS[payload.type];
  return renderer ? renderer(payload.data as Data) : generic(payload.type, payload.data as Data);
}

/** Slack's incoming-webhook body: `text` (the notification's fallback) and Block Kit blocks. */
export function slackBody(payload: NotificationPayload): { text: string; blocks: unknown[] } {
  const message = renderMessage(payload);
  return {
    text: `${message.title}: ${message.text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: message.text.slice(0, 3000) } },
      ...(message.fields.length > 0
        ? [{ type: 'section', fields: message.fields.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: `*${label}*\n${value}`.slice(0, 2000) })) }]
        : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${payload.type} · ${payload.timestamp}` }] },
    ],
  };
}

/** An email's subject and plain-text body. */
export function emailContent(payload: NotificationPayload): { subject: string; text: string } {
  const message = renderMessage(payload);
  const lines = [message.text, '', ...message.fields.map(([label, value]) => `${label}: ${value}`), '', `${payload.type} at ${payload.timestamp}`, '— Steward'];
  return { subject: `[Steward] ${message.title}`, text: lines.join('\n') };
}

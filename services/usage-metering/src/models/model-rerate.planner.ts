import { createHash } from 'node:crypto';
import type { ModelPricingSetData, UsageCorrectedData, UsageRecordedData } from '@steward/contracts';
import { UsageDecimal, decimalText, usageCost } from '@steward/usage-metering';
import { findModel, priceAt, type ModelSettingsState } from './model-settings.decider';

/** A usage event of a day stream, as the planner reads it. */
export type DayStreamEvent =
  | { readonly eventId: string; readonly type: 'UsageRecorded'; readonly data: UsageRecordedData }
  | { readonly eventId: string; readonly type: 'UsageCorrected'; readonly data: UsageCorrectedData }
  | { readonly eventId: string; readonly type: 'other' };

/** The pricing event that asked for a re-rate. */
export interface RerateRequest {
  readonly pricingEventId: string;
  readonly pricing: ModelPricingSetData;
  /** The workspace's model settings as of the pricing event (later prices are theirs to re-rate). */
  readonly settings: ModelSettingsState;
}

export interface PlannedCorrection {
  readonly eventId: string;
  readonly data: UsageCorrectedData;
}

/**
 * The id of the correction one re-rate makes to one call: derived from the
 * pricing event and the usage event, so a re-rate run again (after a crash,
 * a retry) finds its own corrections and never corrects a call twice.
 */
export function rerateCorrectionIdFor(pricingEventId: string, usageEventId: string): string {
  const bytes = createHash('sha256').update(`steward:rerate:${pricingEventId}:${usageEventId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The UTC days (as Dates at midnight) a re-rate reads, from effective-from to the time the price was set. */
export function rerateDays(pricing: ModelPricingSetData): Date[] {
  const days: Date[] = [];
  const from = new Date(pricing.effectiveFrom);
  const to = Date.parse(pricing.setAt);
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day <= to; day += 86_400_000) {
    days.push(new Date(day));
  }
  return days;
}

/**
 * Pure: the corrections one day stream needs for a re-rate. A call is
 * re-rated when it is of the pricing's provider and model, its time lies in
 * [effectiveFrom, setAt], and its current cost (the recorded one, or its
 * latest correction's) differs from its cost under the workspace's prices as
 * of the pricing event. Calls this re-rate already corrected are left alone.
 * Exact decimals throughout: `delta = cost − previousCost`.
 */
export function planDayCorrections(request: RerateRequest, events: readonly DayStreamEvent[]): PlannedCorrection[] {
  const { pricing, pricingEventId, settings } = request;
  const from = Date.parse(pricing.effectiveFrom);
  const to = Date.parse(pricing.setAt);
  const entry = findModel(settings, pricing.provider, pricing.model);
  const present = new Set(events.map((event) => event.eventId));
  const current = new Map<string, { recorded: UsageRecordedData; cost: string }>();
  for (const event of events) {
    if (event.type === 'UsageRecorded') {
      if (!current.has(event.eventId)) current.set(event.eventId, { recorded: event.data, cost: event.data.cost });
    } else if (event.type === 'UsageCorrected') {
      const call = current.get(event.data.usageEventId);
      if (call) call.cost = event.data.cost;
    }
  }
  const corrections: PlannedCorrection[] = [];
  for (const [usageEventId, { recorded, cost }] of current) {
    if (recorded.provider.toLowerCase() !== pricing.provider.toLowerCase() || recorded.model !== pricing.model) continue;
    const time = Date.parse(recorded.time);
    if (time < from || time > to) continue;
    const eventId = rerateCorrectionIdFor(pricingEventId, usageEventId);
    if (present.has(eventId)) continue;
    const price = priceAt(entry, recorded.time);
    if (!price) continue;
    const newCost = usageCost(recorded, price.unitPrices);
    const delta = new UsageDecimal(newCost).minus(cost);
    if (delta.isZero()) continue;
    corrections.push({
      eventId,
      data: {
        organizationId: recorded.organizationId,
        workspaceId: recorded.workspaceId,
        usageEventId,
        usageId: recorded.usageId,
        source: recorded.source,
        time: recorded.time,
        agent: recorded.agent,
        provider: recorded.provider,
        model: recorded.model,
        previousCost: cost,
        cost: newCost,
        delta: decimalText(delta),
        pricing: { status: 'priced', source: 'workspace', ref: price.effectiveFrom, unitPrices: price.unitPrices },
        reason: `re-rated: ${pricing.provider}/${pricing.model} price effective from ${pricing.effectiveFrom}, set at ${pricing.setAt} by ${pricing.setBy}`,
        correctedAt: pricing.setAt,
      },
    });
  }
  return corrections;
}

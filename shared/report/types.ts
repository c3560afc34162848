/**
 * The figures the panel and `waymark report` show, in one shape: from the counters
 * (shared/figures/report.ts, what pages read) or from every customer as stored
 * (`buildReport`, `waymark report --full`), which adds the figures only a read of
 * each customer gives: compliance, coordination, trigger to first message, send
 * rates reached.
 */
import type { SkipStatus } from '../customer/history.ts';
import type { Channel } from '../customer/profile.ts';
import type { EngagementAction } from '../journey/engagement-condition.ts';

/** Where one execution is, as the workflow service knows it (Step Functions, or the local engine). */
export interface ExecutionPosition {
  journeyId: string;
  executionId: string;
  customerId: string;
  status: 'running' | 'succeeded' | 'failed' | 'stopped';
  /** Journey step ids entered, in order (a step in a loop appears once per visit). */
  visited: string[];
  /** The step a running execution is in now; undefined once it has ended. */
  current?: string;
  /**
   * The state a running execution is in now, as the state machine names it (`remind.rateWait`):
   * tells a send waiting for its slot from one being sent. Undefined once it has ended, or when the
   * host does not say.
   */
  currentState?: string;
  startedAt: string;
}

/** What happened at one step of one journey. */
export interface StepCounts {
  /** Executions that entered the step (each visit counts): from the executions, as `waiting`. */
  entered: number;
  /** Running executions in the step now. */
  waiting: number;
  /** Of those, executions waiting for a send slot now (in the step's `<step>.rateWait` state). */
  waitingForSlot: number;
  sent: Record<Channel, number>;
  capped: number;
  /** Deferred by quiet hours (the message waits for them to end). */
  deferred: number;
  /** Waited for a send slot (the channel's or the journey's send rate). */
  rateLimited: number;
  /** Not sent for any other reason: opted out, no address, failed. */
  notSent: number;
  /**
   * Executions stopped while at this step: by an exit event or from outside. From the executions (an
   * exit entry names no step), so as complete as `entered`.
   */
  exited: number;
  /** Conversions whose last touch was this step's message. */
  converted: number;
}

// ---------------------------------------------------------------------------------------------
// The report: what `buildReport` (shared/report/report.ts) answers. Rates are fractions (0.25 is
// 25%), null when their denominator is 0; durations are seconds.

export interface Report {
  generatedAt: string;
  /** `counters`: the figures kept as entries are written; `full`: every customer read (`--full`). */
  basis: 'counters' | 'full';
  sources: ReportSources;
  /** Journeys from the journeys folder in their order, then journeys known only from the data. */
  journeys: JourneyReport[];
  /** Every channel, in channelSchema's order (email, sms, push, whatsapp, webhook, function). */
  channels: ChannelReport[];
  /** One row per journey, step and channel that sent a message or earned a conversion. */
  attribution: AttributionRow[];
  /** Delivered, opened, clicked, bounced, complained: per journey step and channel, and per channel. */
  engagement: EngagementReport;
  /** Trigger to first message, over every journey. Per customer: `full` only. */
  firstMessage?: LatencySummary;
  /** Per customer: `full` only. */
  compliance?: ComplianceReport;
  /** Whether the channels acted as one: messages per customer and per customer-day, overlaps. `full` only. */
  coordination?: CoordinationReport;
  notSent: NotSentReport;
  /** Per channel, in channelSchema's order: the rate reached beside the configured one. `full` only. */
  sendRates?: SendRateRow[];
  /** Executions waiting for a send slot now, every journey and step (the steps' `waitingForSlot`). */
  waitingForSlot: number;
}

export interface ReportSources {
  /** Customers read: `full` only (the counters do not count customers). */
  customers?: number;
  /** Customers whose stored profile does not parse; their history is still counted. `full` only. */
  damagedProfiles?: number;
  historyEntries: number;
  executions: number;
  /** Journeys whose executions were read only up to a limit (the most recent first). */
  executionsLimited: string[];
}

export interface JourneyReport {
  journeyId: string;
  name: string;
  /** False when the data names a journey the journeys folder does not have (removed or renamed). */
  defined: boolean;
  /** Executions the trigger started: entered, or turned away by the entry rules. */
  triggered: number;
  entered: number;
  /** Turned away by the entry rules (re-entry, concurrency, a duplicate event). */
  notEntered: number;
  /** Executions still going: entered - (completed + failed + stopped + exited), never below 0. */
  active: number;
  completed: number;
  exited: number;
  failed: number;
  /** Stopped from outside Waymark (the console, StopExecution). */
  stopped: number;
  /** Executions with at least one conversion. */
  converted: number;
  /** Goal events recorded as conversions (one execution may convert more than once in its window). */
  conversions: number;
  /** Whether the journey has a goal (an `exitOn` event with `goal`); without one nothing converts. */
  hasGoal: boolean;
  /** converted / entered; null when nobody entered or the journey has no goal. */
  conversionRate: number | null;
  /** Triggered, entered, received a message, sent at each send step in graph order, converted (with a goal). */
  funnel: FunnelStage[];
  /** The journey's step ids in graph order (breadth first from the start), then ids known only from the data. */
  stepOrder: string[];
  steps: Record<string, StepCounts>;
  /** Per customer: `full` only. */
  firstMessage?: LatencySummary;
}

/** The report of `waymark report --full`: every figure, the per-customer ones included. */
export interface FullReport extends Report {
  basis: 'full';
  sources: ReportSources & { customers: number; damagedProfiles: number };
  journeys: (JourneyReport & { firstMessage: LatencySummary })[];
  firstMessage: LatencySummary;
  compliance: ComplianceReport;
  coordination: CoordinationReport;
  sendRates: SendRateRow[];
}

export interface FunnelStage {
  label: string;
  count: number;
  /** count / entered; null for the stage before entry, or when nobody entered. */
  ofEntered: number | null;
}

export interface ChannelReport {
  channel: Channel;
  sent: number;
  /** Conversions whose last touch was a message on this channel. */
  lastTouch: number;
  /** The channel's share of conversions under linear multi-touch (sum of its weights). */
  linear: number;
  /** lastTouch / sent. */
  lastTouchRate: number | null;
  /** linear / sent. */
  linearRate: number | null;
}

export interface AttributionRow {
  journeyId: string;
  stepId: string;
  channel: Channel;
  sent: number;
  lastTouch: number;
  linear: number;
}

/**
 * What came back for the messages (shared/report/engagement.ts says how each figure counts): each
 * message counts once per action however many entries it has; a click counts as an open, and an
 * open, click or complaint as a delivery.
 */
export interface EngagementFigures {
  /** Messages sent (message entries, each message id once per customer). */
  sent: number;
  /** Of those, the messages with the action (or one implying it). */
  engaged: Record<EngagementAction, number>;
  /** engaged / sent; null when nothing was sent, or the channel does not report the action and none has it. */
  rates: Record<EngagementAction, number | null>;
}

export interface EngagementRow extends EngagementFigures {
  journeyId: string;
  stepId: string;
  channel: Channel;
}

export interface ChannelEngagement extends EngagementFigures {
  channel: Channel;
}

export interface EngagementReport {
  /** One row per journey, step and channel that sent a message, in the attribution rows' order. */
  rows: EngagementRow[];
  /** Every channel, in channelSchema's order, every journey together. */
  channels: ChannelEngagement[];
  /** Engagement whose message is not in the customer's history (each action once per message): in no row and no rate. */
  unmatched: number;
}

export interface LatencySummary {
  /** Executions that sent at least one message and whose start is in the history. */
  samples: number;
  /** Nearest-rank percentiles; null without samples. */
  p50Seconds: number | null;
  p95Seconds: number | null;
  /** Samples timed from the trigger event itself; the others from the journey's `entered` entry. */
  fromTriggerEvent: number;
}

export type ComplianceRule = 'opted-out' | 'suppressed' | 'no-marketing-consent';

export interface ComplianceViolation {
  customerId: string;
  journeyId: string;
  executionId: string;
  stepId: string;
  channel: Channel;
  category: 'marketing' | 'transactional';
  time: string;
  rule: ComplianceRule;
  /** When the opt-out, suppression or missing consent began, as the history tells it; undefined: from the start. */
  since?: string;
}

export interface ComplianceReport {
  /** Every message to the customer in the history, marketing and transactional (not calls that reach a system). */
  messagesChecked: number;
  marketingChecked: number;
  transactionalChecked: number;
  /** Must be 0. */
  violations: number;
  byRule: Record<ComplianceRule, number>;
  /** The first violations, oldest first (at most 50), for someone to look at. */
  examples: ComplianceViolation[];
}

/**
 * The rate one channel reached (shared/report/send-rates.ts): the most messages the history records
 * in any one second, every journey and customer together, as the account-wide send rate counts them.
 */
export interface SendRateRow {
  channel: Channel;
  /** settings.sendRates' messages a second for the channel; undefined: no limit, or not given. */
  configured?: number;
  /** The most messages sent in one second: any window [t, t + 1 s), not only whole seconds. */
  peakPerSecond: number;
  /** Where the first such window starts (its first message's time); undefined without messages. */
  peakAt?: string;
}

export interface NotSentRow {
  journeyId: string;
  /** null: the skip named no channel (no profile, or a step with no usable channel). */
  channel: Channel | null;
  capped: number;
  /** Waited for quiet hours to end. */
  deferred: number;
  /** Waited for a send slot. */
  rateLimited: number;
  optedOut: number;
  noAddress: number;
  failed: number;
}

export interface NotSentReport {
  byStatus: Record<SkipStatus, number>;
  /** By journey and channel, journeys in the report's order, channels in channelSchema's order, then none. */
  rows: NotSentRow[];
  /** Capped messages by cap id. */
  byCap: Record<string, number>;
  /** Deferred steps (execution and step) that later sent their message once quiet hours ended. */
  deferredThenSent: number;
}

/**
 * Coordination across channels (shared/report/coordination.ts). A customer-day is a calendar day in
 * the time zone of the customer's stored profile, or UTC when it has none; only days with at least
 * one message count. Every message counts, marketing and transactional, on every channel; webhook and
 * function calls that reach another system, not the customer, do not.
 */
export interface CoordinationReport {
  /** Customers with at least one message in their history. */
  customersMessaged: number;
  /** Messages in the history, every journey and channel. */
  messages: number;
  /** messages / customersMessaged (the mean); null when nobody got a message. */
  messagesPerCustomer: number | null;
  /** Customer-days with at least one message. */
  customerDays: number;
  /** The most messages one customer got in one day; null without messages. */
  maxPerCustomerDay: number | null;
  /** Nearest-rank p95 of messages per customer-day, over customer-days with a message; null without. */
  p95PerCustomerDay: number | null;
  /** Customer-days with messages from two or more journeys (journeys that overlapped). */
  multiJourneyDays: number;
  /** Customer-days with messages on two or more channels. */
  multiChannelDays: number;
  /** Customers messaged whose days are counted in UTC: no time zone in a readable profile. */
  customersInUtc: number;
  /** The customer-day with the most messages (the first found of equals), for someone to look at; null without messages. */
  busiest: BusiestCustomerDay | null;
  /** Held back to keep within caps and quiet hours: notSent.byStatus's capped and deferred, not recounted. */
  heldBack: { capped: number; deferred: number };
}

export interface BusiestCustomerDay {
  customerId: string;
  /** YYYY-MM-DD in `timeZone`. */
  day: string;
  /** The profile's time zone, or "UTC". */
  timeZone: string;
  messages: number;
  journeys: number;
  channels: number;
}

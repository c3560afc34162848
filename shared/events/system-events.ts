/**
 * Events on the bus that are not customer events of the catalog, but requests
 * to Waymark itself: SES's feedback on sent mail, and erasure requests. The
 * rules that route them (routes.ts) and the function that handles them both
 * name them from here.
 */

/** The detail types SES sends for a configuration set's bounces and complaints. */
export const SES_FEEDBACK_DETAIL_TYPES = ['Email Bounced', 'Email Complaint Received'] as const;

/** Everything SES tells of a sent mail that the history keeps: the feedback, and delivery, opens and clicks. */
export const SES_ENGAGEMENT_DETAIL_TYPES = [
  'Email Delivered',
  'Email Opened',
  'Email Clicked',
  ...SES_FEEDBACK_DETAIL_TYPES,
] as const;

/** End User Messaging Social's WhatsApp statuses, which it sends to the default bus. */
export const WHATSAPP_SOURCE = 'aws.social-messaging';
export const WHATSAPP_RECEIPT_DETAIL_TYPES = [
  'WhatsApp Message Delivered',
  'WhatsApp Message Read',
  'WhatsApp Message Failed',
  'WhatsApp Message Undeliverable',
] as const;

/** End User Messaging SMS's delivery statuses, which it sends to the default bus. */
export const SMS_SOURCE = 'aws.sms-voice';
export const SMS_RECEIPT_DETAIL_TYPE = 'Text Message Delivery Status Updated';

/** Not in the event catalog: erasure is a request to Waymark, not something a journey reacts to. */
export const ERASURE_REQUESTED = 'customer.erasure.requested';

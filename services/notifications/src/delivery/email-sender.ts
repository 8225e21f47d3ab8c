import nodemailer, { type Transporter } from 'nodemailer';
import type { NotificationPayload } from '@steward/contracts';
import { emailContent } from '../dispatch/message-renderer';
import type { PostOutcome } from './http-post';

export interface EmailSettings {
  /** `SMTP_URL`: `smtp://user:pass@host:587`, `smtps://…` (nodemailer's connection URL). */
  readonly url: string;
  /** `SMTP_FROM`: the sender. */
  readonly from: string;
}

/** Email over SMTP with nodemailer: one message to a channel's recipients; the SMTP reply code stands for a status. */
export class EmailSender {
  private readonly transport: Transporter;

  constructor(private readonly settings: EmailSettings) {
    this.transport = nodemailer.createTransport(settings.url);
  }

  async send(recipients: readonly string[], payload: NotificationPayload, messageId: string): Promise<PostOutcome> {
    const started = performance.now();
    const { subject, text } = emailContent(payload);
    try {
      const info = await this.transport.sendMail({
        from: this.settings.from,
        to: [...recipients],
        subject,
        text,
        headers: { 'X-Steward-Message-Id': messageId },
      });
      const code = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1]);
      return { statusCode: Number.isInteger(code) ? code : null, latencyMs: Math.round(performance.now() - started), error: null };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      return { statusCode: typeof code === 'number' && code >= 100 && code <= 599 ? code : null, latencyMs: Math.round(performance.now() - started), error: (error as Error).message.slice(0, 500) };
    }
  }

  close(): void {
    this.transport.close();
  }
}

import type { MailMessage } from "./send";

/**
 * One shape for every mail the product sends: a heading, a few paragraphs, at most one button-like
 * link, and a closing line. Text first (what most clients show in previews), with an HTML twin
 * whose every interpolated value is escaped — names, emails and company titles come from users.
 */

export interface MailContent {
  to: string;
  subject: string;
  heading: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Why the recipient got this, and what to do if it was not them. */
  footer: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

export function composeMail(content: MailContent): MailMessage {
  const text = [
    content.heading,
    "",
    ...content.paragraphs.flatMap((p) => [p, ""]),
    ...(content.action ? [`${content.action.label}: ${content.action.url}`, ""] : []),
    "—",
    content.footer,
  ].join("\n");
  const html = [
    `<h1 style="font-size:18px;margin:0 0 12px">${escapeHtml(content.heading)}</h1>`,
    ...content.paragraphs.map((p) => `<p style="margin:0 0 12px">${escapeHtml(p)}</p>`),
    ...(content.action
      ? [
          `<p style="margin:16px 0"><a href="${escapeHtml(content.action.url)}" style="background:#c2410c;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(content.action.label)}</a></p>`,
          `<p style="margin:0 0 12px;font-size:12px;color:#52525b">Or paste this link into your browser: ${escapeHtml(content.action.url)}</p>`,
        ]
      : []),
    `<p style="margin:16px 0 0;font-size:12px;color:#71717a">${escapeHtml(content.footer)}</p>`,
  ].join("\n");
  return { to: content.to, subject: content.subject, text, html };
}

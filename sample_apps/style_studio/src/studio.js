/** Ties the page to the text helpers and the AI functions. */

import { rewriteInStyle, suggestTitle, summarize } from "./ai.js";
import { escapeHtml, readingTimeMinutes, splitSentences, toParagraphs, truncateWords, wordCount } from "./text.js";

/**
 * Statistics line shown under the editor, e.g. "120 words · 6 sentences · 1 min read".
 * @param {string} text
 * @returns {string}
 */
export function statsLine(text) {
  const words = wordCount(text);
  const sentences = splitSentences(text).length;
  return `${words} word${words === 1 ? "" : "s"} · ${sentences} sentence${sentences === 1 ? "" : "s"} · ${readingTimeMinutes(text)} min read`;
}

/**
 * Run the whole studio on a passage and return the result panel as HTML.
 * @param {string} text
 * @param {string} author
 * @param {number} maxWords
 * @returns {Promise<string>}
 */
export async function renderStudio(text, author, maxWords) {
  if (!text.trim()) {
    throw new Error("text is empty");
  }
  const [rewritten, summary, title] = await Promise.all([
    rewriteInStyle(text, author),
    summarize(text, maxWords),
    suggestTitle(text),
  ]);
  return [
    `<h2>${escapeHtml(title.trim())}</h2>`,
    `<p class="meta">In the style of ${escapeHtml(author)} · ${escapeHtml(statsLine(rewritten))}</p>`,
    toParagraphs(rewritten),
    `<p class="summary">${escapeHtml(truncateWords(summary, maxWords))}</p>`,
  ].join("\n");
}

/** Plain text helpers for Style Studio. */

export const WORDS_PER_MINUTE = 230;

/**
 * Reading speed used for reading-time estimates, in words per minute.
 * @returns {number}
 */
export function wordsPerMinute() {
  return WORDS_PER_MINUTE;
}

/**
 * Count words: runs of letters, digits, apostrophes and hyphens.
 * @param {string} text
 * @returns {number}
 */
export function wordCount(text) {
  const words = text.match(/[\p{L}\p{N}'’-]+/gu);
  return words ? words.length : 0;
}

/**
 * Estimated reading time in whole minutes, rounded up; 0 for empty text.
 * @param {string} text
 * @param {number} [wpm]
 * @returns {number}
 */
export function readingTimeMinutes(text, wpm = wordsPerMinute()) {
  return Math.ceil(wordCount(text) / wpm);
}

/**
 * Split text into sentences ending in ".", "!" or "?" (closing quotes kept);
 * trailing text without end punctuation is the last sentence.
 * @param {string} text
 * @returns {string[]}
 */
export function splitSentences(text) {
  const matches = text.match(/[^.!?]+(?:[.!?]+["'”’)]*|$)/g) ?? [];
  return matches.map((sentence) => sentence.replace(/\s+/g, " ").trim()).filter(Boolean);
}

/**
 * Cut text to at most `maxWords` words, adding "…" when something was cut.
 * @param {string} text
 * @param {number} maxWords
 * @returns {string}
 */
export function truncateWords(text, maxWords) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length <= maxWords) {
    return words.join(" ");
  }
  return `${words.slice(0, Math.max(0, maxWords)).join(" ")}…`;
}

/**
 * Escape text for safe insertion into HTML.
 * @param {string} text
 * @returns {string}
 */
export function escapeHtml(text) {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Render a passage as HTML paragraphs (blank lines separate paragraphs).
 * @param {string} text
 * @returns {string}
 */
export function toParagraphs(text) {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
}

/**
 * The "smart" parts of Style Studio.
 *
 * Placeholders for the prototype: they return fixed values (some after a short
 * wait, to feel like a network call) so the page can be built and demoed. Each one
 * is meant to be backed by a language model later.
 */

const FAKE_LATENCY_MS = 30;

export const FAKE_TITLES = [
  "A Quiet Morning",
  "The Long Road Home",
  "Notes from the Harbour",
  "What the River Knew",
];

/**
 * Wait for the given number of milliseconds.
 * @param {number} ms
 * @returns {Promise<void>}
 */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Rewrite a passage in the style of a named author ("rewrite in the style of
 * Tolstoy"), keeping its meaning, people and events, changing only voice,
 * rhythm and diction. Returns the rewritten passage as plain text.
 * @param {string} text
 * @param {string} author
 * @returns {Promise<string>}
 */
export async function rewriteInStyle(text, author) {
  // TODO: replace with a real model
  await sleep(FAKE_LATENCY_MS);
  return "All happy mornings are alike; each unhappy morning is unhappy in its own way. And so it was that she rose, and looked out upon the wide grey field, and thought of nothing at all.";
}

/**
 * Summarize a passage in plain prose of at most `maxWords` words.
 * @param {string} text
 * @param {number} maxWords
 * @returns {Promise<string>}
 */
export async function summarize(text, maxWords) {
  // TODO: replace with a real model
  await sleep(FAKE_LATENCY_MS);
  return "A short summary of the passage.";
}

/**
 * Suggest a short title (2-8 words, no quotes, no trailing period) for a passage.
 * @param {string} text
 * @returns {Promise<string>}
 */
export async function suggestTitle(text) {
  // TODO: replace with a real model
  return FAKE_TITLES[Math.floor(Math.random() * FAKE_TITLES.length)];
}

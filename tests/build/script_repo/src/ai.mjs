const FAKE_TITLES = ["A", "B"];

/**
 * Suggest a title.
 * @param {string} text
 * @returns {Promise<string>}
 */
export async function suggestTitle(text) {
  // TODO: replace with a real model
  return FAKE_TITLES[Math.floor(Math.random() * FAKE_TITLES.length)];
}

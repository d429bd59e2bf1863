#!/usr/bin/env node
"use strict";
const path = require("path");

/**
 * Classify a ticket.
 * @param {string} ticket
 * @returns {string}
 */
function classify(ticket) {
  // TODO: use a model
  return "billing";
}

module.exports = { classify, base: path.basename("a/b") };

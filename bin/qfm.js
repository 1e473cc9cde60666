#!/usr/bin/env node
// The installed `qfm` command: registers tsx's loader, then runs the TypeScript entry point.
"use strict";
require("tsx/cjs");
require("../scripts/qfm.ts");

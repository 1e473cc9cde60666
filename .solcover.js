// Contract test doubles are not measured; the server and process tests are not run under coverage (npm run coverage
// selects the contract test files).
module.exports = { skipFiles: ["test/"] };

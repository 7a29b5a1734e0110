package orm

// PGUnnestMax lets the tests build a batch that PostgreSQL sends by COPY.
const PGUnnestMax = pgUnnestMax

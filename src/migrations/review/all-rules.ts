/** The default rule set: one module per file in `rules/`, file name = rule id. */
import * as addCheckValidating from './rules/add-check-validating.js';
import * as addColumnAutoIncrement from './rules/add-column-auto-increment.js';
import * as addColumnGeneratedStored from './rules/add-column-generated-stored.js';
import * as addColumnRequiredNoDefault from './rules/add-column-required-no-default.js';
import * as addColumnVolatileDefault from './rules/add-column-volatile-default.js';
import * as addExclusionConstraint from './rules/add-exclusion-constraint.js';
import * as addForeignKeyValidating from './rules/add-foreign-key-validating.js';
import * as addPrimaryKey from './rules/add-primary-key.js';
import * as addUniqueConstraint from './rules/add-unique-constraint.js';
import * as alterColumnType from './rules/alter-column-type.js';
import * as autovacuumDisabled from './rules/autovacuum-disabled.js';
import * as createIndexNonConcurrent from './rules/create-index-non-concurrent.js';
import * as deleteWithoutWhere from './rules/delete-without-where.js';
import * as detachPartitionNonConcurrent from './rules/detach-partition-non-concurrent.js';
import * as domainConstraint from './rules/domain-constraint.js';
import * as dropCascade from './rules/drop-cascade.js';
import * as dropColumn from './rules/drop-column.js';
import * as dropDatabase from './rules/drop-database.js';
import * as dropForeignKey from './rules/drop-foreign-key.js';
import * as dropIndexNonConcurrent from './rules/drop-index-non-concurrent.js';
import * as dropNotNull from './rules/drop-not-null.js';
import * as dropSchema from './rules/drop-schema.js';
import * as dropTable from './rules/drop-table.js';
import * as duplicateColumnAssignment from './rules/duplicate-column-assignment.js';
import * as enumValueUsedBeforeCommit from './rules/enum-value-used-before-commit.js';
import * as identifierTooLong from './rules/identifier-too-long.js';
import * as jsonColumn from './rules/json-column.js';
import * as lockTable from './rules/lock-table.js';
import * as nonTransactionalInTransaction from './rules/non-transactional-in-transaction.js';
import * as refreshMatviewNonConcurrent from './rules/refresh-matview-non-concurrent.js';
import * as reindexNonConcurrent from './rules/reindex-non-concurrent.js';
import * as renameColumn from './rules/rename-column.js';
import * as renameEnumValue from './rules/rename-enum-value.js';
import * as renameSchema from './rules/rename-schema.js';
import * as renameTable from './rules/rename-table.js';
import * as setNotNull from './rules/set-not-null.js';
import * as tableStorageRewrite from './rules/table-storage-rewrite.js';
import * as truncateCascade from './rules/truncate-cascade.js';
import * as truncateTable from './rules/truncate-table.js';
import * as unbalancedTransaction from './rules/unbalanced-transaction.js';
import * as updateWithoutWhere from './rules/update-without-where.js';
import * as vacuumFullOrCluster from './rules/vacuum-full-or-cluster.js';
import * as validateInSameTransaction from './rules/validate-in-same-transaction.js';
import type { RuleModule } from './rule.js';

/** All default rules (review-rules.md 5.1), sorted by id. */
export const DEFAULT_RULES: readonly RuleModule[] = [
  addCheckValidating,
  addColumnAutoIncrement,
  addColumnGeneratedStored,
  addColumnRequiredNoDefault,
  addColumnVolatileDefault,
  addExclusionConstraint,
  addForeignKeyValidating,
  addPrimaryKey,
  addUniqueConstraint,
  alterColumnType,
  autovacuumDisabled,
  createIndexNonConcurrent,
  deleteWithoutWhere,
  detachPartitionNonConcurrent,
  domainConstraint,
  dropCascade,
  dropColumn,
  dropDatabase,
  dropForeignKey,
  dropIndexNonConcurrent,
  dropNotNull,
  dropSchema,
  dropTable,
  duplicateColumnAssignment,
  enumValueUsedBeforeCommit,
  identifierTooLong,
  jsonColumn,
  lockTable,
  nonTransactionalInTransaction,
  refreshMatviewNonConcurrent,
  reindexNonConcurrent,
  renameColumn,
  renameEnumValue,
  renameSchema,
  renameTable,
  setNotNull,
  tableStorageRewrite,
  truncateCascade,
  truncateTable,
  unbalancedTransaction,
  updateWithoutWhere,
  vacuumFullOrCluster,
  validateInSameTransaction,
];

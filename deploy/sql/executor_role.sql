-- Least privilege for the executor worker: a PostgreSQL role with only what the executor queue's tasks touch.
-- Migration-independent: apply it (as the database owner) after `migrate`, and again after a migration that
-- renames one of these tables. Idempotent.
--
--   psql "$DATABASE_URL" -v executor_password="$EXECUTOR_DB_PASSWORD" -f deploy/sql/executor_role.sql
--
-- Then give the executor worker DATABASE_URL=postgres://pathwise_executor:<password>@host/db (compose and
-- deploy/k8s do). The executor queue's tasks: executor.run_code / executor.reap_runs (code runs),
-- learning.grade_submission / learning.reap_submissions (read the submission and its module, write the result),
-- their job rows (common_job) and, through the job listener, the agents' status row (agents_agent). Points,
-- progress and achievements after a full pass are recorded by a task on the default queue, not here:
-- this role never reads users, tokens, sessions or anyone's progress.
\set ON_ERROR_STOP on
SELECT format('CREATE ROLE pathwise_executor LOGIN PASSWORD %L', :'executor_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pathwise_executor') \gexec
ALTER ROLE pathwise_executor WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'executor_password';
ALTER ROLE pathwise_executor SET statement_timeout = '120s';

SELECT format('GRANT CONNECT ON DATABASE %I TO pathwise_executor', current_database()) \gexec
REVOKE CREATE ON SCHEMA public FROM pathwise_executor;
GRANT USAGE ON SCHEMA public TO pathwise_executor;
-- Start from nothing: whatever an earlier version of this script granted goes.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM pathwise_executor;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM pathwise_executor;

GRANT SELECT, UPDATE ON executor_coderun TO pathwise_executor;
GRANT SELECT, UPDATE ON code_submissions TO pathwise_executor;
GRANT SELECT ON modules TO pathwise_executor;
GRANT SELECT, INSERT, UPDATE ON common_job TO pathwise_executor;
GRANT USAGE ON SEQUENCE common_job_id_seq TO pathwise_executor;
GRANT SELECT, UPDATE ON agents_agent TO pathwise_executor;

-- The role warehouse-query connects as (DB_USER, default `warehouse`): it reads warehouse_parcels and
-- nothing else. Migrations run as the master user, once per deploy, never as this role.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'warehouse') THEN
    CREATE ROLE warehouse LOGIN;
  END IF;
  -- On RDS the role signs in with IAM tokens (rds_iam exists only there).
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO warehouse;
  END IF;
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO warehouse', current_database());
END
$$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO warehouse;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM warehouse;
GRANT SELECT ON warehouse_parcels TO warehouse;

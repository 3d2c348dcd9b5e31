-- The warehouse's view of each parcel: one row per parcel it has handled.
CREATE TABLE IF NOT EXISTS warehouse_parcels (
  parcel_id    text        PRIMARY KEY CHECK (parcel_id ~ '^[A-Z]{2}[0-9]{9}[A-Z]{2}$'),
  status       text        NOT NULL CHECK (status IN ('received', 'sorted', 'in_storage', 'dispatched', 'returned')),
  warehouse    text        NOT NULL,
  weight_grams integer     NOT NULL CHECK (weight_grams > 0),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

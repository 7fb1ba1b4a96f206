/** A small schema with data, used by the backup and restore tests. */
import type { TestDatabase } from '../../support/postgres.js';

export async function seedShop(db: TestDatabase): Promise<void> {
  await db.query(`
    create type order_status as enum ('new', 'paid', 'shipped');
    create table "User" (id serial primary key, email text not null unique, name text);
    create table "Order" (
      id serial primary key,
      "userId" int not null references "User"(id),
      status order_status not null default 'new',
      total numeric(10,2) not null
    );
    create index order_user_idx on "Order"("userId");
    create table audit_note (id bigserial primary key, body text);
    create view paid_orders as select * from "Order" where status = 'paid';
    insert into "User"(email, name) select 'u' || g || '@example.com', 'User ' || g from generate_series(1, 50) g;
    insert into "Order"("userId", status, total)
      select (g % 50) + 1, (array['new','paid','shipped'])[(g % 3) + 1]::order_status, g * 1.5
      from generate_series(1, 300) g;
    insert into audit_note(body) values ('it''s "quoted"'), (E'multi\\nline');
  `);
}

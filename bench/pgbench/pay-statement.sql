-- pay's one statement (acceptPay in src/persistence/payments-repository.ts, as of 2026-11-26)
-- with pgbench variables in place of the bound values, to measure what Postgres alone spends on
-- it (docs/performance.md, "Postgres: what one pay statement costs"). A hand copy: when acceptPay
-- changes, change this too. Run against a migrated database with 200 customers:
--
--   createdb perf && DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf npm run migrate
--   psql -d perf -c "insert into customers (id, status, currency)
--                    select 'cust' || g, 'NORMAL', 'KRW' from generate_series(1, 200) g"
--   pgbench -n -M prepared -c 10 -j 2 -T 15 -f bench/pgbench/pay-statement.sql perf
--
-- and, for scale, floor.sql (the floor's insert) after `create table bench_floor (key text primary key)`.
\set r random(1, 9000000000000)
\set c random(1, 200)
with claim as (
  insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
  select 'PSP0000001', 'p' || :r, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'x' || :r, '{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U","resultMessage":"The payment is in process.","paymentUrl":"https://wallet.example/cashier/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg"}'::jsonb, now()
   where not exists (select 1 from pay_requests where psp_id = 'PSP0000001' and payment_request_id = 'p' || :r)
     and exists (select 1 from customers where id = 'cust' || :c and status = 'NORMAL' and currency = 'KRW'::char(3))
  on conflict (psp_id, payment_request_id) do nothing
  returning payment_id
), created as (
  insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code,
                        payment_currency, payment_minor, pay_to_currency, pay_to_minor,
                        surcharge_currency, surcharge_minor, debit_minor, quote_id, quote_pair, quote_price,
                        expires_at, payment_time, cashier_token_hash, request, created_at, updated_at)
  select payment_id, 'PSP0000001', 'p' || :r, 'cust' || :c, 'PROCESSING', 'PAYMENT_IN_PROCESS',
         'JPY', 100, 'KRW', 1000, null, null, 1000, '1234567', 'JPY/KRW', '10.0000'::numeric,
         now() + interval '3 minutes', null, md5('h' || :r) || md5('k' || :r), '{"order":{"referenceOrderId":"OrderID_0101010001","orderDescription":"SHOES","orderAmount":{"value":"100","currency":"JPY"},"merchant":{"referenceMerchantId":"M00000000001","merchantMCC":"1405","merchantName":"UGG","merchantAddress":{"region":"JP","city":"Tokyo"},"store":{"referenceStoreId":"S0000000001","storeName":"UGG-2","storeMCC":"1405"}}},"acquirerId":"ACQ0000001","pspId":"PSP0000001","paymentRequestId":"bench-payreq-000000000001","paymentAmount":{"value":"100","currency":"JPY"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"pm-0000000001","customerId":"cust1"},"payToAmount":{"value":"1000","currency":"KRW"},"paymentQuote":{"quoteId":"1234567","quoteCurrencyPair":"JPY/KRW","quotePrice":"10.0000"},"paymentFactor":{"isInStorePayment":"true","isCashierPayment":"true"},"paymentNotifyUrl":"https://acquirer.example/notify","paymentExpiryTime":"2026-11-26T12:00:00+08:00"}'::jsonb, now(), now()
    from claim
  returning id, status, result_code, created_at
), history as (
  insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
  select id, null, status, result_code, 'ACCEPTED', created_at from created
)
select (select id from created) as created_id, p.*,
  pr.request_hash as claim_request_hash, pr.payment_id as claim_payment_id, pr.answer as claim_answer,
  c.id as customer_row_id, c.status as customer_status, c.currency as customer_currency, c.created_at as customer_created_at
  from (select 1) as one
  left join pay_requests pr on pr.psp_id = 'PSP0000001' and pr.payment_request_id = 'p' || :r
  left join payments p on p.id = pr.payment_id
  left join customers c on c.id = 'cust' || :c;

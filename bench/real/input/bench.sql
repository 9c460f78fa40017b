-- SQLite workload for bench/real: bulk insert, indexes, joins, grouping, window
-- functions, string functions and a recursive CTE, on an in-memory database.
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, item TEXT, qty INTEGER, price REAL);

WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
INSERT INTO customer SELECT x, printf('customer-%04d', x),
  CASE x % 7 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Lyon' WHEN 2 THEN 'Porto' WHEN 3 THEN 'Graz'
             WHEN 4 THEN 'Turku' WHEN 5 THEN 'Gent' ELSE 'Brno' END FROM n;

WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000)
INSERT INTO orders SELECT x, (x * 7919) % 2000 + 1, 'item-' || ((x * 104729) % 397),
  (x * 31) % 9 + 1, ((x * 2654435761) % 10000) / 100.0 FROM n;

CREATE INDEX orders_customer ON orders(customer);
CREATE INDEX orders_item ON orders(item);

SELECT count(*), sum(qty), printf('%.2f', sum(qty * price)) FROM orders;

SELECT c.city, count(*) AS n, printf('%.2f', sum(o.qty * o.price)) AS revenue
FROM orders o JOIN customer c ON c.id = o.customer
GROUP BY c.city ORDER BY revenue DESC;

SELECT item, sum(qty) AS q FROM orders GROUP BY item ORDER BY q DESC, item LIMIT 5;

SELECT name, total, rank FROM (
  SELECT c.name, sum(o.qty) AS total, rank() OVER (ORDER BY sum(o.qty) DESC, c.id) AS rank
  FROM customer c JOIN orders o ON o.customer = c.id GROUP BY c.id)
WHERE rank <= 5;

SELECT city, name, running FROM (
  SELECT c.city, c.name, sum(o.qty) OVER (PARTITION BY c.city ORDER BY o.id) AS running,
         row_number() OVER (PARTITION BY c.city ORDER BY o.id DESC) AS rn
  FROM orders o JOIN customer c ON c.id = o.customer)
WHERE rn = 1 ORDER BY city;

UPDATE orders SET price = price * 1.1 WHERE item LIKE 'item-1%';
DELETE FROM orders WHERE qty = 9 AND customer % 3 = 0;
SELECT count(*), printf('%.2f', avg(price)), max(length(item)), group_concat(DISTINCT substr(item, 6, 1))
FROM orders;

SELECT upper(substr(name, 1, 3)) || '/' || city, count(*) FROM customer
WHERE name GLOB 'customer-1*' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;

-- wrk script for POST /orders: a static JSON body (no request() function, so
-- wrk builds the request once); done() prints one parseable line.
wrk.method = "POST"
wrk.body = '{"id":1001,"customer":"Ada Lovelace","email":"ada@example.com","paid":true,"total":123.45,"note":"leave at the door","tags":["gift","express"],"ship_to":{"street":"12 Analytical Row","city":"London","zip":"N1 7AA","country":"GB"},"lines":[{"sku":"ABC-1","qty":1,"price":10.5},{"sku":"ABC-2","qty":2,"price":11.5},{"sku":"ABC-3","qty":3,"price":12.5},{"sku":"ABC-4","qty":4,"price":13.5},{"sku":"ABC-5","qty":5,"price":14.5}]}'
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"lat_mean_us":%.2f,"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end

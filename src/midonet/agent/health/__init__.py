"""Health monitoring of load-balancer pool members (guide chapter 9).

`checks`: the schedule and verdicts of TCP connect checks (pure, clock given);
`probe`: a namespace per pool plugged into the load balancer's router, from which
the checks connect; `service`: which agent monitors which pools, and member status
written to the NSDB.
"""

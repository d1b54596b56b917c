"""Generated data: the demo set, its 18-month history, and the data set at scale.

- ``shapes``: what every generated set shares (départements, names, communes, the
  calendar of issues);
- ``accounts``: the published second factor of the sample accounts;
- ``demo``: the demo set (one programme, both départements, one account per role);
- ``history``: the demo played through 18 months of activity by the services;
- ``generator`` and ``seed``: the data set at the programme's real size, for measuring,
  built in memory and bulk-inserted;
- ``commands``: ``flask --app passnum demo`` and ``flask --app passnum seed``.
"""

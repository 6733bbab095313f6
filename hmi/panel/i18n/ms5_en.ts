<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>AndonBanner</name>
    <message>
        <source>+{n} more</source>
        <translation>+{n} more</translation>
    </message>
</context>
<context>
    <name>AndonScreen</name>
    <message>
        <source>Active calls</source>
        <translation>Active calls</translation>
    </message>
    <message>
        <source>Choose a call</source>
        <translation>Choose a call</translation>
    </message>
    <message>
        <source>Take</source>
        <translation>Take</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Acknowledge</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>Resolve</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>Shelve</source>
        <translation>Shelve</translation>
    </message>
    <message>
        <source>{n} open, {unack} not acknowledged</source>
        <translation>{n} open, {unack} not acknowledged</translation>
    </message>
    <message>
        <source>+{n} more, older or answered: the counts above are all of them</source>
        <translation>+{n} more, older or answered: the counts above are all of them</translation>
    </message>
    <message>
        <source>shelved until {time}</source>
        <translation>shelved until {time}</translation>
    </message>
    <message>
        <source> · taken by {user}</source>
        <translation> · taken by {user}</translation>
    </message>
    <message>
        <source>level {level}</source>
        <translation>level {level}</translation>
    </message>
    <message>
        <source>the line</source>
        <translation>the line</translation>
    </message>
    <message>
        <source>{time} raised by {user}</source>
        <translation>{time} raised by {user}</translation>
    </message>
    <message>
        <source>{time} level {level}: {notify}</source>
        <translation>{time} level {level}: {notify}</translation>
    </message>
    <message>
        <source>{time} acknowledged by {user}</source>
        <translation>{time} acknowledged by {user}</translation>
    </message>
    <message>
        <source>Raise a call: {kind}</source>
        <translation>Raise a call: {kind}</translation>
    </message>
    <message>
        <source>Take call #{call}: your PIN</source>
        <translation>Take call #{call}: your PIN</translation>
    </message>
    <message>
        <source>Acknowledge call #{call}: your PIN</source>
        <translation>Acknowledge call #{call}: your PIN</translation>
    </message>
    <message>
        <source>Resolve call #{call}: your PIN</source>
        <translation>Resolve call #{call}: your PIN</translation>
    </message>
    <message>
        <source>Note on call #{call}: your PIN</source>
        <translation>Note on call #{call}: your PIN</translation>
    </message>
    <message>
        <source>Shelve call #{call}: your PIN</source>
        <translation>Shelve call #{call}: your PIN</translation>
    </message>
    <message>
        <source>Note on call #{call}</source>
        <translation>Note on call #{call}</translation>
    </message>
    <message>
        <source>Shelve call #{call} for</source>
        <translation>Shelve call #{call} for</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Two shifts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Two machines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Figure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference: right minus left; ratios in points, times in seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both machines over the last {days} days&apos; shifts. Difference: right minus left; ratios in points, times in seconds</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DowntimeScreen</name>
    <message>
        <source>{reason} (general)</source>
        <translation>{reason} (general)</translation>
    </message>
    <message>
        <source>Stops this shift</source>
        <translation>Stops this shift</translation>
    </message>
    <message>
        <source>Choose a stop</source>
        <translation>Choose a stop</translation>
    </message>
    <message>
        <source>‹ Back</source>
        <translation>‹ Back</translation>
    </message>
    <message>
        <source>Split stop</source>
        <translation>Split stop</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>now</source>
        <translation>now</translation>
    </message>
    <message>
        <source> · fault {code}</source>
        <translation> · fault {code}</translation>
    </message>
    <message>
        <source>⚠ Needs a reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>Reason:</translation>
    </message>
    <message>
        <source>Reason &apos;{reason}&apos; for this stop</source>
        <translation>Reason &apos;{reason}&apos; for this stop</translation>
    </message>
    <message>
        <source>Split this stop where its cause changed</source>
        <translation>Split this stop where its cause changed</translation>
    </message>
    <message>
        <source>Split this stop in two</source>
        <translation>Split this stop in two</translation>
    </message>
    <message>
        <source>A note on this stop</source>
        <translation>A note on this stop</translation>
    </message>
    <message>
        <source>Note on this stop</source>
        <translation>Note on this stop</translation>
    </message>
</context>
<context>
    <name>FullTextDialog</name>
    <message>
        <source>Full text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>JobsScreen</name>
    <message>
        <source>Running job</source>
        <translation>Running job</translation>
    </message>
    <message>
        <source>End job</source>
        <translation>End job</translation>
    </message>
    <message>
        <source>Changeover</source>
        <translation>Changeover</translation>
    </message>
    <message>
        <source>Start changeover</source>
        <translation>Start changeover</translation>
    </message>
    <message>
        <source>End changeover</source>
        <translation>End changeover</translation>
    </message>
    <message>
        <source>Planned jobs</source>
        <translation>Planned jobs</translation>
    </message>
    <message>
        <source>No job planned</source>
        <translation>No job planned</translation>
    </message>
    <message>
        <source>New job: product</source>
        <translation>New job: product</translation>
    </message>
    <message>
        <source>Target quantity (empty: none)</source>
        <translation>Target quantity (empty: none)</translation>
    </message>
    <message>
        <source>Start job</source>
        <translation>Start job</translation>
    </message>
    <message>
        <source>{job} (running)</source>
        <translation>{job} (running)</translation>
    </message>
    <message>
        <source>Open on {machines}</source>
        <translation>Open on {machines}</translation>
    </message>
    <message>
        <source> for {time}</source>
        <translation> for {time}</translation>
    </message>
    <message>
        <source>No changeover open</source>
        <translation>No changeover open</translation>
    </message>
    <message>
        <source>No job</source>
        <translation>No job</translation>
    </message>
    <message>
        <source>{product}: {good}{target} good</source>
        <translation>{product}: {good}{target} good</translation>
    </message>
    <message>
        <source>started {time}</source>
        <translation>started {time}</translation>
    </message>
    <message>
        <source>{started} · estimated end {time}</source>
        <translation>{started} · estimated end {time}</translation>
    </message>
    <message>
        <source>Start job {product}</source>
        <translation>Start job {product}</translation>
    </message>
    <message>
        <source>End the job</source>
        <translation>End the job</translation>
    </message>
    <message>
        <source>Start a changeover</source>
        <translation>Start a changeover</translation>
    </message>
    <message>
        <source>End the changeover</source>
        <translation>End the changeover</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>Clear</source>
        <translation>Clear</translation>
    </message>
</context>
<context>
    <name>LockOverlay</name>
    <message>
        <source>Panel locked</source>
        <translation>Panel locked</translation>
    </message>
    <message>
        <source>Touch Unlock and enter your PIN. Andon calls need no PIN.</source>
        <translation>Touch Unlock and enter your PIN. Andon calls need no PIN.</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>Unlock</translation>
    </message>
</context>
<context>
    <name>MachineScreen</name>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Good / total</source>
        <translation>Good / total</translation>
    </message>
    <message>
        <source>Small stops</source>
        <translation>Small stops</translation>
    </message>
    <message>
        <source>Down time</source>
        <translation>Down time</translation>
    </message>
    <message>
        <source>Parts per minute (good), this shift</source>
        <translation>Parts per minute (good), this shift</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Start</translation>
    </message>
    <message>
        <source>End</source>
        <translation>End</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Duration</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>Fault</translation>
    </message>
    <message>
        <source>for {time}</source>
        <translation>for {time}</translation>
    </message>
    <message>
        <source>A {a} P {p} Q {q}</source>
        <translation>A {a} P {p} Q {q}</translation>
    </message>
    <message>
        <source>rejects {n}</source>
        <translation>rejects {n}</translation>
    </message>
    <message>
        <source>of which no data {time}</source>
        <translation>of which no data {time}</translation>
    </message>
    <message>
        <source>fault {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>open</source>
        <translation>open</translation>
    </message>
</context>
<context>
    <name>MachineTile</name>
    <message>
        <source>PLC lost</source>
        <translation>PLC lost</translation>
    </message>
    <message>
        <source>Driver error</source>
        <translation>Driver error</translation>
    </message>
    <message>
        <source>Fault {code}: {reason}</source>
        <translation>Fault {code}: {reason}</translation>
    </message>
    <message>
        <source>no reason mapped</source>
        <translation>no reason mapped</translation>
    </message>
    <message>
        <source>Shift OEE {oee}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OEE {oee}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate –</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate {rate}/min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{rate}/min · {ratio} of ideal</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <source>Waiting for maintenance</source>
        <translation>Waiting for maintenance</translation>
    </message>
    <message>
        <source>Waiting for material</source>
        <translation>Waiting for material</translation>
    </message>
    <message>
        <source>Cleared by operator</source>
        <translation>Cleared by operator</translation>
    </message>
    <message>
        <source>Part replaced</source>
        <translation>Part replaced</translation>
    </message>
    <message>
        <source>Quality check</source>
        <translation>Quality check</translation>
    </message>
    <message>
        <source>Called the supervisor</source>
        <translation>Called the supervisor</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>Type a note, or tap a phrase</source>
        <translation>Type a note, or tap a phrase</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Save note</source>
        <translation>Save note</translation>
    </message>
</context>
<context>
    <name>OnScreenKeyboard</name>
    <message>
        <source>Space</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OverviewScreen</name>
    <message>
        <source>Availability</source>
        <translation>Availability</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Performance</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Quality</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation>Good parts</translation>
    </message>
    <message>
        <source>no shift (last hour)</source>
        <translation>no shift (last hour)</translation>
    </message>
    <message>
        <source>target {oee}</source>
        <translation>target {oee}</translation>
    </message>
    <message>
        <source>down {time}</source>
        <translation>down {time}</translation>
    </message>
    <message>
        <source>small stops {n}</source>
        <translation>small stops {n}</translation>
    </message>
    <message>
        <source>rejects {n}</source>
        <translation>rejects {n}</translation>
    </message>
    <message>
        <source>no target this shift</source>
        <translation>no target this shift</translation>
    </message>
    <message>
        <source>target so far {target} ({gap})</source>
        <translation>target so far {target} ({gap})</translation>
    </message>
    <message>
        <source>No job running</source>
        <translation>No job running</translation>
    </message>
    <message>
        <source> · ends about {time}</source>
        <translation> · ends about {time}</translation>
    </message>
    <message>
        <source>Job {product}: {good} / {quantity}</source>
        <translation>Job {product}: {good} / {quantity}</translation>
    </message>
    <message>
        <source>PLC lost: {names}</source>
        <translation>PLC lost: {names}</translation>
    </message>
    <message>
        <source>Driver error: {names}</source>
        <translation>Driver error: {names}</translation>
    </message>
    <message>
        <source>Store: {problem}</source>
        <translation>Store: {problem}</translation>
    </message>
    <message>
        <source>Reports: {problem}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clock: {problem}</source>
        <translation>Clock: {problem}</translation>
    </message>
    <message>
        <source>● PLC {up}/{all}</source>
        <translation>● PLC {up}/{all}</translation>
    </message>
    <message>
        <source>● no PLCs</source>
        <translation>● no PLCs</translation>
    </message>
</context>
<context>
    <name>PanelSession</name>
    <message>
        <source>station unreachable: {error}</source>
        <translation>station unreachable: {error}</translation>
    </message>
    <message>
        <source>{user} ({role}) logged in</source>
        <translation>{user} ({role}) logged in</translation>
    </message>
    <message>
        <source>logged out</source>
        <translation>logged out</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>Unlock the panel</source>
        <translation>Unlock the panel</translation>
    </message>
</context>
<context>
    <name>PanelWindow</name>
    <message>
        <source>Overview</source>
        <translation>Overview</translation>
    </message>
    <message>
        <source>Machine</source>
        <translation>Machine</translation>
    </message>
    <message>
        <source>Downtime</source>
        <translation>Downtime</translation>
    </message>
    <message>
        <source>Andon</source>
        <translation>Andon</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Jobs</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Report</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Lock</translation>
    </message>
    <message>
        <source>Raise a call</source>
        <translation>Raise a call</translation>
    </message>
    <message>
        <source>station unreachable: {error}</source>
        <translation>station unreachable: {error}</translation>
    </message>
    <message>
        <source>{purpose}: log in</source>
        <translation>{purpose}: log in</translation>
    </message>
    <message>
        <source>station {status}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{user} · Log out</source>
        <translation>{user} · Log out</translation>
    </message>
    <message>
        <source>Sound off</source>
        <translation>Sound off</translation>
    </message>
    <message>
        <source>Sound on</source>
        <translation>Sound on</translation>
    </message>
</context>
<context>
    <name>PeriodView</name>
    <message>
        <source>Losses: planned production time to fully productive time</source>
        <translation type="unfinished">Losses: planned production time to fully productive time</translation>
    </message>
    <message>
        <source>Downtime by reason (every machine)</source>
        <translation type="unfinished">Downtime by reason (every machine)</translation>
    </message>
    <message>
        <source>Line {line}, last {days} days ({first} to {last}): OEE {oee} · availability {a} · performance {p} · quality {q} · down {down}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>No users yet: add one with `ms5 user add`.</source>
        <translation>No users yet: add one with `ms5 user add`.</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Who</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
</context>
<context>
    <name>RaisePanel</name>
    <message>
        <source>Raise a call</source>
        <translation>Raise a call</translation>
    </message>
</context>
<context>
    <name>ReportCompare</name>
    <message>
        <source>Availability</source>
        <translation type="unfinished">Availability</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation type="unfinished">Performance</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation type="unfinished">Quality</translation>
    </message>
    <message>
        <source>Planned production time</source>
        <translation type="unfinished">Planned production time</translation>
    </message>
    <message>
        <source>Run time</source>
        <translation type="unfinished">Run time</translation>
    </message>
    <message>
        <source>Down time</source>
        <translation type="unfinished">Down time</translation>
    </message>
    <message>
        <source>Small stop time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Small stops</source>
        <translation type="unfinished">Small stops</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation type="unfinished">Good parts</translation>
    </message>
    <message>
        <source>Rejects</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} pts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation type="unfinished">{n} s</translation>
    </message>
</context>
<context>
    <name>ReportInsights</name>
    <message>
        <source>new against {compared} ({then})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>up {pct} % on {compared} ({then})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top loss in {period}: {reason} on {machine}, {time} in {stops} stops, {against}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top loss in {period}: {reason} on {machine}, {time} in 1 stop, {against}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Small stops on {machine} in {period}: {now} against none in {compared} ({time} against {then_time})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Small stops on {machine} in {period}: {now} against {then} in {compared} ({time} against {then_time})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{low} shift availability {gap} points or more below {high} shift on {machine} for {n} periods ({first} to {last})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Performance over 1 on {machine} in {hits} of {n} periods (highest {highest} in {period}): check its ideal cycle time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>None: no rule&apos;s threshold was reached</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReportScreen</name>
    <message>
        <source>Machine</source>
        <translation>Machine</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>Raised</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>Acknowledged</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>Resolved</translation>
    </message>
    <message>
        <source>Availability</source>
        <translation>Availability</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Performance</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Quality</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation>Good parts</translation>
    </message>
    <message>
        <source>Shift report</source>
        <translation>Shift report</translation>
    </message>
    <message>
        <source>This shift</source>
        <translation>This shift</translation>
    </message>
    <message>
        <source>Previous shift</source>
        <translation>Previous shift</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Line</translation>
    </message>
    <message>
        <source>Shift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Week</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export PDF</source>
        <translation>Export PDF</translation>
    </message>
    <message>
        <source>Export CSV</source>
        <translation>Export CSV</translation>
    </message>
    <message>
        <source>Losses: planned production time to fully productive time</source>
        <translation>Losses: planned production time to fully productive time</translation>
    </message>
    <message>
        <source>Downtime by reason (every machine)</source>
        <translation>Downtime by reason (every machine)</translation>
    </message>
    <message>
        <source>Good parts per hour against target</source>
        <translation>Good parts per hour against target</translation>
    </message>
    <message>
        <source>Andon response times</source>
        <translation>Andon response times</translation>
    </message>
    <message>
        <source>Line {line}</source>
        <translation>Line {line}</translation>
    </message>
    <message>
        <source>no target</source>
        <translation>no target</translation>
    </message>
    <message>
        <source>target so far {n}</source>
        <translation>target so far {n}</translation>
    </message>
    <message>
        <source>Andon: {calls} calls · to acknowledge {ack_mean} mean, {ack_max} longest · to resolve {resolve_mean} mean</source>
        <translation>Andon: {calls} calls · to acknowledge {ack_mean} mean, {ack_max} longest · to resolve {resolve_mean} mean</translation>
    </message>
    <message>
        <source>Export failed: station unreachable: {error}</source>
        <translation>Export failed: station unreachable: {error}</translation>
    </message>
    <message>
        <source>Nothing to export yet</source>
        <translation>Nothing to export yet</translation>
    </message>
    <message>
        <source>Export failed: {error}</source>
        <translation>Export failed: {error}</translation>
    </message>
    <message>
        <source>Report written to {path}</source>
        <translation>Report written to {path}</translation>
    </message>
    <message>
        <source>open</source>
        <translation>open</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Last hour</translation>
    </message>
</context>
<context>
    <name>ReportTrend</name>
    <message>
        <source>Period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Availability</source>
        <translation type="unfinished">Availability</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation type="unfinished">Performance</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation type="unfinished">Quality</translation>
    </message>
    <message>
        <source>Down time</source>
        <translation type="unfinished">Down time</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation type="unfinished">Good parts</translation>
    </message>
    <message>
        <source>No closed shift in the store yet: nothing to show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to compare: fewer than two in the last 7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No history: {note}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ShelveDialog</name>
    <message>
        <source>Shelve</source>
        <translation>Shelve</translation>
    </message>
    <message>
        <source>{minutes} min</source>
        <translation>{minutes} min</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>SplitDialog</name>
    <message>
        <source>Split stop</source>
        <translation>Split stop</translation>
    </message>
    <message>
        <source>−1 min</source>
        <translation>−1 min</translation>
    </message>
    <message>
        <source>−10 s</source>
        <translation>−10 s</translation>
    </message>
    <message>
        <source>+10 s</source>
        <translation>+10 s</translation>
    </message>
    <message>
        <source>+1 min</source>
        <translation>+1 min</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Split here</source>
        <translation>Split here</translation>
    </message>
    <message>
        <source>{after} after the start, {before} before the end</source>
        <translation>{after} after the start, {before} before the end</translation>
    </message>
</context>
<context>
    <name>StateLegend</name>
    <message>
        <source>Running</source>
        <translation type="unfinished">Running</translation>
    </message>
    <message>
        <source>Small stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No data</source>
        <translation type="unfinished">No data</translation>
    </message>
    <message>
        <source>Changeover</source>
        <translation type="unfinished">Changeover</translation>
    </message>
    <message>
        <source>Planned stop</source>
        <translation type="unfinished">Planned stop</translation>
    </message>
    <message>
        <source>Not scheduled</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>call</name>
    <message>
        <source>NEW</source>
        <translation>NEW</translation>
    </message>
    <message>
        <source>ACK</source>
        <translation>ACK</translation>
    </message>
    <message>
        <source>CLEARED, NOT ACK</source>
        <translation>CLEARED, NOT ACK</translation>
    </message>
    <message>
        <source>SHELVED</source>
        <translation>SHELVED</translation>
    </message>
    <message>
        <source>L{level}</source>
        <translation>L{level}</translation>
    </message>
</context>
<context>
    <name>category</name>
    <message>
        <source>running</source>
        <translation>running</translation>
    </message>
    <message>
        <source>small stop</source>
        <translation>small stop</translation>
    </message>
    <message>
        <source>down</source>
        <translation>down</translation>
    </message>
    <message>
        <source>no data</source>
        <translation>no data</translation>
    </message>
    <message>
        <source>changeover</source>
        <translation>changeover</translation>
    </message>
    <message>
        <source>planned stop</source>
        <translation>planned stop</translation>
    </message>
</context>
<context>
    <name>charts</name>
    <message>
        <source>Planned production time</source>
        <translation>Planned production time</translation>
    </message>
    <message>
        <source>Unplanned stops</source>
        <translation>Unplanned stops</translation>
    </message>
    <message>
        <source>Changeovers</source>
        <translation>Changeovers</translation>
    </message>
    <message>
        <source>Small stops</source>
        <translation>Small stops</translation>
    </message>
    <message>
        <source>Slow cycles</source>
        <translation>Slow cycles</translation>
    </message>
    <message>
        <source>Startup rejects</source>
        <translation>Startup rejects</translation>
    </message>
    <message>
        <source>Production rejects</source>
        <translation>Production rejects</translation>
    </message>
    <message>
        <source>Run time</source>
        <translation>Run time</translation>
    </message>
    <message>
        <source>Net run time</source>
        <translation>Net run time</translation>
    </message>
    <message>
        <source>Fully productive time</source>
        <translation>Fully productive time</translation>
    </message>
    <message>
        <source>Communication loss</source>
        <translation>Communication loss</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>Unassigned</translation>
    </message>
    <message>
        <source>No planned production time in this shift</source>
        <translation>No planned production time in this shift</translation>
    </message>
    <message>
        <source>No downtime in this shift</source>
        <translation>No downtime in this shift</translation>
    </message>
    <message>
        <source>No shift now</source>
        <translation>No shift now</translation>
    </message>
    <message>
        <source>{n} stop</source>
        <translation>{n} stop</translation>
    </message>
    <message>
        <source>{n} stops</source>
        <translation>{n} stops</translation>
    </message>
    <message>
        <source>+ {n} more reasons</source>
        <translation>+ {n} more reasons</translation>
    </message>
</context>
<context>
    <name>doubts</name>
    <message>
        <source>{n} s</source>
        <translation>{n} s</translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation>{n} min</translation>
    </message>
    <message>
        <source> or </source>
        <translation> or </translation>
    </message>
    <message>
        <source>quality unknown: no good value of {signals}</source>
        <translation>quality unknown: no good value of {signals}</translation>
    </message>
    <message>
        <source>no good value of {signal}</source>
        <translation>no good value of {signal}</translation>
    </message>
    <message>
        <source>{n} parts counted while stopped</source>
        <translation>{n} parts counted while stopped</translation>
    </message>
    <message>
        <source>{time} of run time inferred across a communication loss</source>
        <translation>{time} of run time inferred across a communication loss</translation>
    </message>
    <message>
        <source>counter reset {n}x</source>
        <translation>counter reset {n}x</translation>
    </message>
    <message>
        <source>performance over 100 %: check the ideal cycle time</source>
        <translation>performance over 100 %: check the ideal cycle time</translation>
    </message>
</context>
<context>
    <name>format</name>
    <message>
        <source>%1%</source>
        <translation>%1%</translation>
    </message>
</context>
<context>
    <name>kind</name>
    <message>
        <source>Safety</source>
        <translation>Safety</translation>
    </message>
    <message>
        <source>Maintenance</source>
        <translation>Maintenance</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Quality</translation>
    </message>
    <message>
        <source>Material</source>
        <translation>Material</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Help</translation>
    </message>
</context>
<context>
    <name>reason</name>
    <message>
        <source>Unassigned</source>
        <translation>Unassigned</translation>
    </message>
    <message>
        <source>Communication loss</source>
        <translation>Communication loss</translation>
    </message>
</context>
<context>
    <name>role</name>
    <message>
        <source>operator</source>
        <translation>operator</translation>
    </message>
    <message>
        <source>maintenance</source>
        <translation>maintenance</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>supervisor</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>admin</translation>
    </message>
</context>
<context>
    <name>state</name>
    <message>
        <source>Running</source>
        <translation>Running</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Stopped</translation>
    </message>
    <message>
        <source>No data</source>
        <translation>No data</translation>
    </message>
    <message>
        <source>Changeover</source>
        <translation>Changeover</translation>
    </message>
    <message>
        <source>Planned stop</source>
        <translation>Planned stop</translation>
    </message>
</context>
<context>
    <name>uplink</name>
    <message>
        <source>plant broker offline ({why})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>plant broker offline (stopped by an internal error, tried again in {n} s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting for primary host {host}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sending buffered values to the plant broker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>connecting to the plant broker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>plant broker not yet connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>internal error (a bug: see the log): {bug}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} messages buffered ({mb} MB)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} dropped (buffer full, max_buffer_mb {max})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sparkplug: {problems}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>

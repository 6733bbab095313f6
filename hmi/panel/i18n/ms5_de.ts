<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>AndonBanner</name>
    <message>
        <source>+{n} more</source>
        <translation>+{n} weitere</translation>
    </message>
</context>
<context>
    <name>AndonScreen</name>
    <message>
        <source>Active calls</source>
        <translation>Aktive Rufe</translation>
    </message>
    <message>
        <source>Choose a call</source>
        <translation>Ruf auswählen</translation>
    </message>
    <message>
        <source>Take</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Quittieren</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>Erledigt</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
    <message>
        <source>Shelve</source>
        <translation>Zurückstellen</translation>
    </message>
    <message>
        <source>{n} open, {unack} not acknowledged</source>
        <translation>{n} offen, {unack} nicht quittiert</translation>
    </message>
    <message>
        <source>+{n} more, older or answered: the counts above are all of them</source>
        <translation>+{n} weitere, ältere oder beantwortete: die Zahlen oben zählen alle</translation>
    </message>
    <message>
        <source>shelved until {time}</source>
        <translation>zurückgestellt bis {time}</translation>
    </message>
    <message>
        <source> · taken by {user}</source>
        <translation> · übernommen von {user}</translation>
    </message>
    <message>
        <source>level {level}</source>
        <translation>Stufe {level}</translation>
    </message>
    <message>
        <source>the line</source>
        <translation>der Linie</translation>
    </message>
    <message>
        <source>{time} raised by {user}</source>
        <translation>{time} ausgelöst von {user}</translation>
    </message>
    <message>
        <source>{time} level {level}: {notify}</source>
        <translation>{time} Stufe {level}: {notify}</translation>
    </message>
    <message>
        <source>{time} acknowledged by {user}</source>
        <translation>{time} quittiert von {user}</translation>
    </message>
    <message>
        <source>Raise a call: {kind}</source>
        <translation>Ruf auslösen: {kind}</translation>
    </message>
    <message>
        <source>Take call #{call}: your PIN</source>
        <translation>Ruf #{call} übernehmen: Ihre PIN</translation>
    </message>
    <message>
        <source>Acknowledge call #{call}: your PIN</source>
        <translation>Ruf #{call} quittieren: Ihre PIN</translation>
    </message>
    <message>
        <source>Resolve call #{call}: your PIN</source>
        <translation>Ruf #{call} erledigen: Ihre PIN</translation>
    </message>
    <message>
        <source>Note on call #{call}: your PIN</source>
        <translation>Notiz zu Ruf #{call}: Ihre PIN</translation>
    </message>
    <message>
        <source>Shelve call #{call}: your PIN</source>
        <translation>Ruf #{call} zurückstellen: Ihre PIN</translation>
    </message>
    <message>
        <source>Note on call #{call}</source>
        <translation>Notiz zu Ruf #{call}</translation>
    </message>
    <message>
        <source>Shelve call #{call} for</source>
        <translation>Ruf #{call} zurückstellen für</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Two shifts</source>
        <translation>Zwei Schichten</translation>
    </message>
    <message>
        <source>Two machines</source>
        <translation>Zwei Maschinen</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation>Kennzahl</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>Differenz</translation>
    </message>
    <message>
        <source>Difference: right minus left; ratios in points, times in seconds</source>
        <translation>Differenz: rechts minus links; Quoten in Punkten, Zeiten in Sekunden</translation>
    </message>
    <message>
        <source>Both machines over the last {days} days&apos; shifts. Difference: right minus left; ratios in points, times in seconds</source>
        <translation>Beide Maschinen über die Schichten der letzten {days} Tage. Differenz: rechts minus links; Quoten in Punkten, Zeiten in Sekunden</translation>
    </message>
</context>
<context>
    <name>DowntimeScreen</name>
    <message>
        <source>{reason} (general)</source>
        <translation>{reason} (allgemein)</translation>
    </message>
    <message>
        <source>Stops this shift</source>
        <translation>Stillstände dieser Schicht</translation>
    </message>
    <message>
        <source>Choose a stop</source>
        <translation>Stillstand auswählen</translation>
    </message>
    <message>
        <source>‹ Back</source>
        <translation>‹ Zurück</translation>
    </message>
    <message>
        <source>Split stop</source>
        <translation>Stillstand teilen</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source> · fault {code}</source>
        <translation> · Störung {code}</translation>
    </message>
    <message>
        <source>⚠ Needs a reason</source>
        <translation>⚠ Grund fehlt</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>Grund:</translation>
    </message>
    <message>
        <source>Reason &apos;{reason}&apos; for this stop</source>
        <translation>Grund „{reason}“ für diesen Stillstand</translation>
    </message>
    <message>
        <source>Split this stop where its cause changed</source>
        <translation>Stillstand dort teilen, wo sich die Ursache geändert hat</translation>
    </message>
    <message>
        <source>Split this stop in two</source>
        <translation>Diesen Stillstand in zwei teilen</translation>
    </message>
    <message>
        <source>A note on this stop</source>
        <translation>Eine Notiz zu diesem Stillstand</translation>
    </message>
    <message>
        <source>Note on this stop</source>
        <translation>Notiz zu diesem Stillstand</translation>
    </message>
</context>
<context>
    <name>FullTextDialog</name>
    <message>
        <source>Full text</source>
        <translation>Ganzer Text</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>JobsScreen</name>
    <message>
        <source>Running job</source>
        <translation>Laufender Auftrag</translation>
    </message>
    <message>
        <source>End job</source>
        <translation>Auftrag beenden</translation>
    </message>
    <message>
        <source>Changeover</source>
        <translation>Umrüsten</translation>
    </message>
    <message>
        <source>Start changeover</source>
        <translation>Umrüsten beginnen</translation>
    </message>
    <message>
        <source>End changeover</source>
        <translation>Umrüsten beenden</translation>
    </message>
    <message>
        <source>Planned jobs</source>
        <translation>Geplante Aufträge</translation>
    </message>
    <message>
        <source>No job planned</source>
        <translation>Kein Auftrag geplant</translation>
    </message>
    <message>
        <source>New job: product</source>
        <translation>Neuer Auftrag: Produkt</translation>
    </message>
    <message>
        <source>Target quantity (empty: none)</source>
        <translation>Sollmenge (leer: keine)</translation>
    </message>
    <message>
        <source>Start job</source>
        <translation>Auftrag starten</translation>
    </message>
    <message>
        <source>{job} (running)</source>
        <translation>{job} (läuft)</translation>
    </message>
    <message>
        <source>Open on {machines}</source>
        <translation>Offen an {machines}</translation>
    </message>
    <message>
        <source> for {time}</source>
        <translation> seit {time}</translation>
    </message>
    <message>
        <source>No changeover open</source>
        <translation>Kein Umrüsten offen</translation>
    </message>
    <message>
        <source>No job</source>
        <translation>Kein Auftrag</translation>
    </message>
    <message>
        <source>{product}: {good}{target} good</source>
        <translation>{product}: {good}{target} Gutteile</translation>
    </message>
    <message>
        <source>started {time}</source>
        <translation>begonnen {time}</translation>
    </message>
    <message>
        <source>{started} · estimated end {time}</source>
        <translation>{started} · voraussichtliches Ende {time}</translation>
    </message>
    <message>
        <source>Start job {product}</source>
        <translation>Auftrag {product} starten</translation>
    </message>
    <message>
        <source>End the job</source>
        <translation>Auftrag beenden</translation>
    </message>
    <message>
        <source>Start a changeover</source>
        <translation>Umrüsten beginnen</translation>
    </message>
    <message>
        <source>End the changeover</source>
        <translation>Umrüsten beenden</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>Clear</source>
        <translation>Löschen</translation>
    </message>
</context>
<context>
    <name>LockOverlay</name>
    <message>
        <source>Panel locked</source>
        <translation>Bedienfeld gesperrt</translation>
    </message>
    <message>
        <source>Touch Unlock and enter your PIN. Andon calls need no PIN.</source>
        <translation>Entsperren antippen und PIN eingeben. Andon-Rufe brauchen keine PIN.</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>Entsperren</translation>
    </message>
</context>
<context>
    <name>MachineScreen</name>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Good / total</source>
        <translation>Gut / gesamt</translation>
    </message>
    <message>
        <source>Small stops</source>
        <translation>Kurzstopps</translation>
    </message>
    <message>
        <source>Down time</source>
        <translation>Stillstandszeit</translation>
    </message>
    <message>
        <source>Parts per minute (good), this shift</source>
        <translation>Teile pro Minute (gut), diese Schicht</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Beginn</translation>
    </message>
    <message>
        <source>End</source>
        <translation>Ende</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>Störung</translation>
    </message>
    <message>
        <source>for {time}</source>
        <translation>seit {time}</translation>
    </message>
    <message>
        <source>A {a} P {p} Q {q}</source>
        <translation>V {a} L {p} Q {q}</translation>
    </message>
    <message>
        <source>rejects {n}</source>
        <translation>Ausschuss {n}</translation>
    </message>
    <message>
        <source>of which no data {time}</source>
        <translation>davon ohne Daten {time}</translation>
    </message>
    <message>
        <source>fault {0}</source>
        <translation>Störung {0}</translation>
    </message>
    <message>
        <source>open</source>
        <translation>offen</translation>
    </message>
</context>
<context>
    <name>MachineTile</name>
    <message>
        <source>PLC lost</source>
        <translation>SPS getrennt</translation>
    </message>
    <message>
        <source>Driver error</source>
        <translation>Treiberfehler</translation>
    </message>
    <message>
        <source>Fault {code}: {reason}</source>
        <translation>Störung {code}: {reason}</translation>
    </message>
    <message>
        <source>no reason mapped</source>
        <translation>kein Grund zugeordnet</translation>
    </message>
    <message>
        <source>Shift OEE {oee}</source>
        <translation>OEE der Schicht {oee}</translation>
    </message>
    <message>
        <source>OEE {oee}</source>
        <translation>OEE {oee}</translation>
    </message>
    <message>
        <source>Rate –</source>
        <translation>Takt –</translation>
    </message>
    <message>
        <source>Rate {rate}/min</source>
        <translation>Takt {rate}/min</translation>
    </message>
    <message>
        <source>{rate}/min · {ratio} of ideal</source>
        <translation>{rate}/min · {ratio} vom Ideal</translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <source>Waiting for maintenance</source>
        <translation>Warten auf Instandhaltung</translation>
    </message>
    <message>
        <source>Waiting for material</source>
        <translation>Warten auf Material</translation>
    </message>
    <message>
        <source>Cleared by operator</source>
        <translation>Vom Bediener behoben</translation>
    </message>
    <message>
        <source>Part replaced</source>
        <translation>Teil ersetzt</translation>
    </message>
    <message>
        <source>Quality check</source>
        <translation>Qualitätsprüfung</translation>
    </message>
    <message>
        <source>Called the supervisor</source>
        <translation>Schichtleiter gerufen</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
    <message>
        <source>Type a note, or tap a phrase</source>
        <translation>Notiz eingeben oder Satz antippen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Save note</source>
        <translation>Notiz speichern</translation>
    </message>
</context>
<context>
    <name>OnScreenKeyboard</name>
    <message>
        <source>Space</source>
        <translation>Leerzeichen</translation>
    </message>
</context>
<context>
    <name>OverviewScreen</name>
    <message>
        <source>Availability</source>
        <translation>Verfügbarkeit</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Leistung</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Qualität</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation>Gutteile</translation>
    </message>
    <message>
        <source>no shift (last hour)</source>
        <translation>keine Schicht (letzte Stunde)</translation>
    </message>
    <message>
        <source>target {oee}</source>
        <translation>Ziel {oee}</translation>
    </message>
    <message>
        <source>down {time}</source>
        <translation>Stillstand {time}</translation>
    </message>
    <message>
        <source>small stops {n}</source>
        <translation>Kurzstopps {n}</translation>
    </message>
    <message>
        <source>rejects {n}</source>
        <translation>Ausschuss {n}</translation>
    </message>
    <message>
        <source>no target this shift</source>
        <translation>kein Soll in dieser Schicht</translation>
    </message>
    <message>
        <source>target so far {target} ({gap})</source>
        <translation>Soll bisher {target} ({gap})</translation>
    </message>
    <message>
        <source>No job running</source>
        <translation>Kein Auftrag läuft</translation>
    </message>
    <message>
        <source> · ends about {time}</source>
        <translation> · endet gegen {time}</translation>
    </message>
    <message>
        <source>Job {product}: {good} / {quantity}</source>
        <translation>Auftrag {product}: {good} / {quantity}</translation>
    </message>
    <message>
        <source>PLC lost: {names}</source>
        <translation>SPS getrennt: {names}</translation>
    </message>
    <message>
        <source>Driver error: {names}</source>
        <translation>Treiberfehler: {names}</translation>
    </message>
    <message>
        <source>Store: {problem}</source>
        <translation>Speicher: {problem}</translation>
    </message>
    <message>
        <source>Reports: {problem}</source>
        <translation>Berichte: {problem}</translation>
    </message>
    <message>
        <source>Clock: {problem}</source>
        <translation>Uhr: {problem}</translation>
    </message>
    <message>
        <source>● PLC {up}/{all}</source>
        <translation>● SPS {up}/{all}</translation>
    </message>
    <message>
        <source>● no PLCs</source>
        <translation>● keine SPS</translation>
    </message>
</context>
<context>
    <name>PanelSession</name>
    <message>
        <source>station unreachable: {error}</source>
        <translation>Station nicht erreichbar: {error}</translation>
    </message>
    <message>
        <source>{user} ({role}) logged in</source>
        <translation>{user} ({role}) angemeldet</translation>
    </message>
    <message>
        <source>logged out</source>
        <translation>abgemeldet</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Unlock the panel</source>
        <translation>Bedienfeld entsperren</translation>
    </message>
</context>
<context>
    <name>PanelWindow</name>
    <message>
        <source>Overview</source>
        <translation>Übersicht</translation>
    </message>
    <message>
        <source>Machine</source>
        <translation>Maschine</translation>
    </message>
    <message>
        <source>Downtime</source>
        <translation>Stillstände</translation>
    </message>
    <message>
        <source>Andon</source>
        <translation>Andon</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Aufträge</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Bericht</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Raise a call</source>
        <translation>Ruf auslösen</translation>
    </message>
    <message>
        <source>station unreachable: {error}</source>
        <translation>Station nicht erreichbar: {error}</translation>
    </message>
    <message>
        <source>{purpose}: log in</source>
        <translation>{purpose}: anmelden</translation>
    </message>
    <message>
        <source>station {status}</source>
        <translation>Station {status}</translation>
    </message>
    <message>
        <source>{user} · Log out</source>
        <translation>{user} · Abmelden</translation>
    </message>
    <message>
        <source>Sound off</source>
        <translation>Ton aus</translation>
    </message>
    <message>
        <source>Sound on</source>
        <translation>Ton an</translation>
    </message>
</context>
<context>
    <name>PeriodView</name>
    <message>
        <source>Losses: planned production time to fully productive time</source>
        <translation>Verluste: von der geplanten Produktionszeit zur voll produktiven Zeit</translation>
    </message>
    <message>
        <source>Downtime by reason (every machine)</source>
        <translation>Stillstand nach Grund (alle Maschinen)</translation>
    </message>
    <message>
        <source>Line {line}, last {days} days ({first} to {last}): OEE {oee} · availability {a} · performance {p} · quality {q} · down {down}</source>
        <translation>Linie {line}, letzte {days} Tage ({first} bis {last}): OEE {oee} · Verfügbarkeit {a} · Leistung {p} · Qualität {q} · Stillstand {down}</translation>
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
        <translation>Noch keine Benutzer: mit `ms5 user add` anlegen.</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Wer</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
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
        <translation>Ruf auslösen</translation>
    </message>
</context>
<context>
    <name>ReportCompare</name>
    <message>
        <source>Availability</source>
        <translation>Verfügbarkeit</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Leistung</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Qualität</translation>
    </message>
    <message>
        <source>Planned production time</source>
        <translation>Geplante Produktionszeit</translation>
    </message>
    <message>
        <source>Run time</source>
        <translation>Laufzeit</translation>
    </message>
    <message>
        <source>Down time</source>
        <translation>Stillstandszeit</translation>
    </message>
    <message>
        <source>Small stop time</source>
        <translation>Kurzstoppzeit</translation>
    </message>
    <message>
        <source>Small stops</source>
        <translation>Kurzstopps</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation>Gutteile</translation>
    </message>
    <message>
        <source>Rejects</source>
        <translation>Ausschuss</translation>
    </message>
    <message>
        <source>{n} pts</source>
        <translation>{n} Pkt.</translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation>{n} s</translation>
    </message>
</context>
<context>
    <name>ReportInsights</name>
    <message>
        <source>new against {compared} ({then})</source>
        <translation>neu gegenüber {compared} ({then})</translation>
    </message>
    <message>
        <source>up {pct} % on {compared} ({then})</source>
        <translation>{pct} % mehr als {compared} ({then})</translation>
    </message>
    <message>
        <source>Top loss in {period}: {reason} on {machine}, {time} in {stops} stops, {against}</source>
        <translation>Größter Verlust in {period}: {reason} an {machine}, {time} in {stops} Stopps, {against}</translation>
    </message>
    <message>
        <source>Top loss in {period}: {reason} on {machine}, {time} in 1 stop, {against}</source>
        <translation>Größter Verlust in {period}: {reason} an {machine}, {time} in 1 Stopp, {against}</translation>
    </message>
    <message>
        <source>Small stops on {machine} in {period}: {now} against none in {compared} ({time} against {then_time})</source>
        <translation>Kurzstopps an {machine} in {period}: {now} gegenüber keinem in {compared} ({time} gegenüber {then_time})</translation>
    </message>
    <message>
        <source>Small stops on {machine} in {period}: {now} against {then} in {compared} ({time} against {then_time})</source>
        <translation>Kurzstopps an {machine} in {period}: {now} gegenüber {then} in {compared} ({time} gegenüber {then_time})</translation>
    </message>
    <message>
        <source>{low} shift availability {gap} points or more below {high} shift on {machine} for {n} periods ({first} to {last})</source>
        <translation>Verfügbarkeit der Schicht {low} {gap} Punkte oder mehr unter der Schicht {high} an {machine}, {n} Zeiträume lang ({first} bis {last})</translation>
    </message>
    <message>
        <source>Performance over 1 on {machine} in {hits} of {n} periods (highest {highest} in {period}): check its ideal cycle time</source>
        <translation>Leistung über 1 an {machine} in {hits} von {n} Zeiträumen (höchste {highest} in {period}): ideale Taktzeit prüfen</translation>
    </message>
    <message>
        <source>Insights</source>
        <translation>Erkenntnisse</translation>
    </message>
    <message>
        <source>None: no rule&apos;s threshold was reached</source>
        <translation>Keine: keine Regel hat ihre Schwelle erreicht</translation>
    </message>
</context>
<context>
    <name>ReportScreen</name>
    <message>
        <source>Machine</source>
        <translation>Maschine</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>Ausgelöst</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>Quittiert</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>Erledigt</translation>
    </message>
    <message>
        <source>Availability</source>
        <translation>Verfügbarkeit</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Leistung</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Qualität</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation>Gutteile</translation>
    </message>
    <message>
        <source>Shift report</source>
        <translation>Schichtbericht</translation>
    </message>
    <message>
        <source>This shift</source>
        <translation>Diese Schicht</translation>
    </message>
    <message>
        <source>Previous shift</source>
        <translation>Vorige Schicht</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Linie</translation>
    </message>
    <message>
        <source>Shift</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>Woche</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>Monat</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Vergleich</translation>
    </message>
    <message>
        <source>Export PDF</source>
        <translation>PDF exportieren</translation>
    </message>
    <message>
        <source>Export CSV</source>
        <translation>CSV exportieren</translation>
    </message>
    <message>
        <source>Losses: planned production time to fully productive time</source>
        <translation>Verluste: von der geplanten Produktionszeit zur voll produktiven Zeit</translation>
    </message>
    <message>
        <source>Downtime by reason (every machine)</source>
        <translation>Stillstand nach Grund (alle Maschinen)</translation>
    </message>
    <message>
        <source>Good parts per hour against target</source>
        <translation>Gutteile pro Stunde gegen Soll</translation>
    </message>
    <message>
        <source>Andon response times</source>
        <translation>Andon-Reaktionszeiten</translation>
    </message>
    <message>
        <source>Line {line}</source>
        <translation>Linie {line}</translation>
    </message>
    <message>
        <source>no target</source>
        <translation>kein Soll</translation>
    </message>
    <message>
        <source>target so far {n}</source>
        <translation>Soll bisher {n}</translation>
    </message>
    <message>
        <source>Andon: {calls} calls · to acknowledge {ack_mean} mean, {ack_max} longest · to resolve {resolve_mean} mean</source>
        <translation>Andon: {calls} Rufe · bis zur Quittierung {ack_mean} im Mittel, {ack_max} am längsten · bis zur Erledigung {resolve_mean} im Mittel</translation>
    </message>
    <message>
        <source>Export failed: station unreachable: {error}</source>
        <translation>Export fehlgeschlagen: Station nicht erreichbar: {error}</translation>
    </message>
    <message>
        <source>Nothing to export yet</source>
        <translation>Noch nichts zu exportieren</translation>
    </message>
    <message>
        <source>Export failed: {error}</source>
        <translation>Export fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <source>Report written to {path}</source>
        <translation>Bericht geschrieben nach {path}</translation>
    </message>
    <message>
        <source>open</source>
        <translation>offen</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Letzte Stunde</translation>
    </message>
</context>
<context>
    <name>ReportTrend</name>
    <message>
        <source>Period</source>
        <translation>Zeitraum</translation>
    </message>
    <message>
        <source>Availability</source>
        <translation>Verfügbarkeit</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Leistung</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Qualität</translation>
    </message>
    <message>
        <source>Down time</source>
        <translation>Stillstandszeit</translation>
    </message>
    <message>
        <source>Good parts</source>
        <translation>Gutteile</translation>
    </message>
    <message>
        <source>No closed shift in the store yet: nothing to show</source>
        <translation>Noch keine abgeschlossene Schicht gespeichert: nichts anzuzeigen</translation>
    </message>
    <message>
        <source>Nothing to compare: fewer than two in the last 7 days</source>
        <translation>Nichts zu vergleichen: weniger als zwei in den letzten 7 Tagen</translation>
    </message>
    <message>
        <source>No history: {note}</source>
        <translation>Kein Verlauf: {note}</translation>
    </message>
</context>
<context>
    <name>ShelveDialog</name>
    <message>
        <source>Shelve</source>
        <translation>Zurückstellen</translation>
    </message>
    <message>
        <source>{minutes} min</source>
        <translation>{minutes} Min.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
</context>
<context>
    <name>SplitDialog</name>
    <message>
        <source>Split stop</source>
        <translation>Stillstand teilen</translation>
    </message>
    <message>
        <source>−1 min</source>
        <translation>−1 Min.</translation>
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
        <translation>+1 Min.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Split here</source>
        <translation>Hier teilen</translation>
    </message>
    <message>
        <source>{after} after the start, {before} before the end</source>
        <translation>{after} nach dem Beginn, {before} vor dem Ende</translation>
    </message>
</context>
<context>
    <name>StateLegend</name>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>Small stop</source>
        <translation>Kurzstopp</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>Stillstand</translation>
    </message>
    <message>
        <source>No data</source>
        <translation>Keine Daten</translation>
    </message>
    <message>
        <source>Changeover</source>
        <translation>Umrüsten</translation>
    </message>
    <message>
        <source>Planned stop</source>
        <translation>Geplanter Stopp</translation>
    </message>
    <message>
        <source>Not scheduled</source>
        <translation>Nicht geplant</translation>
    </message>
</context>
<context>
    <name>call</name>
    <message>
        <source>NEW</source>
        <translation>NEU</translation>
    </message>
    <message>
        <source>ACK</source>
        <translation>QUITT.</translation>
    </message>
    <message>
        <source>CLEARED, NOT ACK</source>
        <translation>BEHOBEN, NICHT QUITT.</translation>
    </message>
    <message>
        <source>SHELVED</source>
        <translation>ZURÜCKGESTELLT</translation>
    </message>
    <message>
        <source>L{level}</source>
        <translation>S{level}</translation>
    </message>
</context>
<context>
    <name>category</name>
    <message>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <source>small stop</source>
        <translation>Kurzstopp</translation>
    </message>
    <message>
        <source>down</source>
        <translation>Stillstand</translation>
    </message>
    <message>
        <source>no data</source>
        <translation>keine Daten</translation>
    </message>
    <message>
        <source>changeover</source>
        <translation>Umrüsten</translation>
    </message>
    <message>
        <source>planned stop</source>
        <translation>geplanter Halt</translation>
    </message>
</context>
<context>
    <name>charts</name>
    <message>
        <source>Planned production time</source>
        <translation>Geplante Produktionszeit</translation>
    </message>
    <message>
        <source>Unplanned stops</source>
        <translation>Ungeplante Stillstände</translation>
    </message>
    <message>
        <source>Changeovers</source>
        <translation>Umrüstungen</translation>
    </message>
    <message>
        <source>Small stops</source>
        <translation>Kurzstopps</translation>
    </message>
    <message>
        <source>Slow cycles</source>
        <translation>Langsame Takte</translation>
    </message>
    <message>
        <source>Startup rejects</source>
        <translation>Anlaufausschuss</translation>
    </message>
    <message>
        <source>Production rejects</source>
        <translation>Produktionsausschuss</translation>
    </message>
    <message>
        <source>Run time</source>
        <translation>Laufzeit</translation>
    </message>
    <message>
        <source>Net run time</source>
        <translation>Netto-Laufzeit</translation>
    </message>
    <message>
        <source>Fully productive time</source>
        <translation>Voll produktive Zeit</translation>
    </message>
    <message>
        <source>Communication loss</source>
        <translation>Kommunikationsverlust</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>Nicht zugeordnet</translation>
    </message>
    <message>
        <source>No planned production time in this shift</source>
        <translation>Keine geplante Produktionszeit in dieser Schicht</translation>
    </message>
    <message>
        <source>No downtime in this shift</source>
        <translation>Kein Stillstand in dieser Schicht</translation>
    </message>
    <message>
        <source>No shift now</source>
        <translation>Jetzt keine Schicht</translation>
    </message>
    <message>
        <source>{n} stop</source>
        <translation>{n} Stillstand</translation>
    </message>
    <message>
        <source>{n} stops</source>
        <translation>{n} Stillstände</translation>
    </message>
    <message>
        <source>+ {n} more reasons</source>
        <translation>+ {n} weitere Gründe</translation>
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
        <translation>{n} Min.</translation>
    </message>
    <message>
        <source> or </source>
        <translation> oder </translation>
    </message>
    <message>
        <source>quality unknown: no good value of {signals}</source>
        <translation>Qualität unbekannt: kein gültiger Wert für {signals}</translation>
    </message>
    <message>
        <source>no good value of {signal}</source>
        <translation>kein gültiger Wert für {signal}</translation>
    </message>
    <message>
        <source>{n} parts counted while stopped</source>
        <translation>{n} Teile im Stillstand gezählt</translation>
    </message>
    <message>
        <source>{time} of run time inferred across a communication loss</source>
        <translation>{time} Laufzeit über einen Kommunikationsverlust hinweg angenommen</translation>
    </message>
    <message>
        <source>counter reset {n}x</source>
        <translation>Zähler {n}-mal zurückgesetzt</translation>
    </message>
    <message>
        <source>performance over 100 %: check the ideal cycle time</source>
        <translation>Leistung über 100 %: Ideal-Taktzeit prüfen</translation>
    </message>
</context>
<context>
    <name>format</name>
    <message>
        <source>%1%</source>
        <translation>%1&#xa0;%</translation>
    </message>
</context>
<context>
    <name>kind</name>
    <message>
        <source>Safety</source>
        <translation>Sicherheit</translation>
    </message>
    <message>
        <source>Maintenance</source>
        <translation>Instandhaltung</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Qualität</translation>
    </message>
    <message>
        <source>Material</source>
        <translation>Material</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Hilfe</translation>
    </message>
</context>
<context>
    <name>reason</name>
    <message>
        <source>Unassigned</source>
        <translation>Nicht zugeordnet</translation>
    </message>
    <message>
        <source>Communication loss</source>
        <translation>Kommunikationsverlust</translation>
    </message>
</context>
<context>
    <name>role</name>
    <message>
        <source>operator</source>
        <translation>Bediener</translation>
    </message>
    <message>
        <source>maintenance</source>
        <translation>Instandhaltung</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>Schichtleiter</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>Administrator</translation>
    </message>
</context>
<context>
    <name>state</name>
    <message>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
    <message>
        <source>No data</source>
        <translation>Keine Daten</translation>
    </message>
    <message>
        <source>Changeover</source>
        <translation>Umrüsten</translation>
    </message>
    <message>
        <source>Planned stop</source>
        <translation>Geplanter Halt</translation>
    </message>
</context>
<context>
    <name>uplink</name>
    <message>
        <source>plant broker offline ({why})</source>
        <translation>Anlagen-Broker nicht erreichbar ({why})</translation>
    </message>
    <message>
        <source>plant broker offline (stopped by an internal error, tried again in {n} s)</source>
        <translation>Anlagen-Broker getrennt (durch einen internen Fehler beendet, neuer Versuch in {n} s)</translation>
    </message>
    <message>
        <source>waiting for primary host {host}</source>
        <translation>warte auf den Primär-Host {host}</translation>
    </message>
    <message>
        <source>sending buffered values to the plant broker</source>
        <translation>sende gepufferte Werte an den Anlagen-Broker</translation>
    </message>
    <message>
        <source>connecting to the plant broker</source>
        <translation>verbinde mit dem Anlagen-Broker</translation>
    </message>
    <message>
        <source>plant broker not yet connected</source>
        <translation>Anlagen-Broker noch nicht verbunden</translation>
    </message>
    <message>
        <source>internal error (a bug: see the log): {bug}</source>
        <translation>interner Fehler (ein Programmfehler: siehe Protokoll): {bug}</translation>
    </message>
    <message>
        <source>{n} messages buffered ({mb} MB)</source>
        <translation>{n} Nachrichten gepuffert ({mb} MB)</translation>
    </message>
    <message>
        <source>{n} dropped (buffer full, max_buffer_mb {max})</source>
        <translation>{n} verworfen (Puffer voll, max_buffer_mb {max})</translation>
    </message>
    <message>
        <source>Sparkplug: {problems}</source>
        <translation>Sparkplug: {problems}</translation>
    </message>
</context>
</TS>

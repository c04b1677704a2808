// The parents' pages: one small script, no framework. Every text a parent
// reads is in TEXTS (Italian first, English second); every problem the API
// answers is shown with its own `detail`, which the API writes in the
// language the page asks for (Accept-Language).
"use strict";

const TEXTS = {
  it: {
    skip: "Vai al contenuto",
    brand: "Credenziali del registro elettronico",
    language: "English",
    "title.index": "Registrati",
    "title.password-dimenticata": "Password dimenticata?",
    "title.attiva": "Attiva le credenziali",
    "title.recupera": "Ripristino credenziali",
    "title.conferma-email": "Conferma dell'indirizzo e-mail",
    "title.pin": "PIN per il registro",
    "title.privacy": "Informativa privacy",
    "title.accessibilita": "Dichiarazione di accessibilità",
    "footer.privacy": "Informativa privacy",
    "footer.accessibility": "Dichiarazione di accessibilità",
    "footer.forgot": "Password dimenticata?",
    "footer.pin": "PIN per il registro",
    "footer.profile": "Il tuo profilo",
    "field.school": "Scuola: nome, comune o codice meccanografico",
    "school.closed": "Il servizio di credenziali di questa scuola è chiuso. Per il registro rivolgiti alla segreteria della scuola.",
    "title.suffix": "Registro elettronico",
    "field.cf": "Codice fiscale",
    "field.identifier": "Codice fiscale, codice utente o e-mail",
    "field.login": "Codice utente o e-mail",
    "field.password": "Password",
    "register.intro":
      "Chiedi le credenziali del registro elettronico con il tuo codice fiscale: ti mandiamo per e-mail il link per scegliere la password.",
    "register.submit": "Registrati",
    "register.sent": "Controlla la posta: se il codice fiscale è nell'anagrafica della scuola, ti abbiamo mandato il link per attivare le credenziali.",
    "forgot.intro":
      "Scrivi il codice fiscale, il codice utente o l'indirizzo e-mail: ti mandiamo il link per scegliere una nuova password.",
    "forgot.submit": "Invia il link",
    "forgot.sent": "Controlla la posta: se i dati corrispondono a un account, ti abbiamo mandato il link per scegliere una nuova password.",
    "cf.invalid": "Il codice fiscale non è valido: controlla di averlo scritto tutto (16 caratteri).",
    "school.invalid": "Scegli la scuola dall'elenco, o scrivi il suo codice meccanografico (10 caratteri, per esempio RMIC817009).",
    "purpose.activation": "Con questo link attivi le credenziali del registro elettronico.",
    "purpose.reset": "Con questo link scegli una nuova password del registro elettronico.",
    "otp.title": "Codice di verifica via SMS",
    "otp.title-app": "Codice dell'app di autenticazione",
    "otp.code-app": "Codice mostrato dall'app",
    "otp.hint-unknown": "Ti mandiamo un codice per SMS al numero di cellulare che la scuola ha per te.",
    "sent.to": "Ti abbiamo mandato il link all'indirizzo {hint}.",
    "confirm.new": "Chiedi di nuovo la modifica dal servizio dove l'avevi chiesta: questo link non vale più.",
    "busy": "Attendi…",
    "otp.send": "Invia il codice",
    "otp.resend": "Invia di nuovo il codice",
    "otp.code": "Codice ricevuto",
    "otp.verify": "Verifica",
    "otp.hint": "Ti mandiamo un codice per SMS al numero {phone}.",
    "otp.sent": "Codice inviato al numero {phone}.",
    "otp.app": "Scrivi il codice che mostra la tua app di autenticazione.",
    "otp.wait": "Puoi chiedere un nuovo codice tra {seconds} secondi.",
    "otp.attempts": "Tentativi rimasti: {attempts}.",
    "password.title": "Scegli la password",
    "password.rules": "Regole della password",
    "password.new": "Nuova password",
    "password.repeat": "Ripeti password",
    "password.submit": "Salva la password",
    "password.mismatch": "Le due password non coincidono.",
    "password.server": "(controllato al salvataggio)",
    "done.title": "Fatto: ecco il tuo codice utente",
    "done.copy": "Copia il codice",
    "done.register": "Entra nel registro",
    "done.copied": "Codice copiato.",
    "done.keep":
      "Conserva con cura le credenziali: con il codice utente e la password entri nel registro elettronico.",
    "adhesion.title": "Ultimo passo: fatti identificare in segreteria",
    "adhesion.intro":
      "Le credenziali diventano attive quando la segreteria ti identifica. Stampa il modulo di adesione, o salvalo in PDF, e portalo in segreteria con un tuo documento d'identità e la tessera sanitaria: lo firmi lì. Te l'abbiamo mandato anche per e-mail.",
    "adhesion.print": "Stampa il modulo o salvalo in PDF",
    "link.missing": "Il link non è completo: aprilo di nuovo dall'e-mail, per intero.",
    "link.new": "Chiedi un nuovo link",
    "confirm.working": "Conferma del nuovo indirizzo in corso…",
    "confirm.done": "Fatto: da ora il tuo indirizzo è {hint}.",
    "title.modifica": "Modifica del tuo account",
    "title.codice-temporaneo": "Hai un codice temporaneo?",
    "temporary.intro": "La segreteria ti ha dato un codice temporaneo, su carta o per e-mail? Scrivilo qui con il tuo codice utente (o l'e-mail, o il codice fiscale) e scegli la tua password.",
    "field.temporary-login": "Codice utente, e-mail o codice fiscale",
    "field.temporary-code": "Codice temporaneo (per esempio ABCDE-FGHJK)",
    "change.email": "sostituire l'indirizzo e-mail del tuo account con {hint}",
    "change.mobile": "impostare il numero di cellulare {hint}",
    "change.app": "attivare un'app di autenticazione",
    "change.asked": "Con la password del tuo account è stato chiesto di {change}.",
    "change.confirm": "Sì, l'ho chiesta io: conferma",
    "change.complete": "Completa la modifica",
    "change.cancel": "Non l'ho chiesta io: annulla",
    "change.why": "Il tuo account non ha ancora un cellulare né un'app di autenticazione: per sicurezza, dopo la conferma la modifica attende {hours} ore.",
    "change.scheduled": "Fatto. Potrai completare la modifica dal {when}: ti abbiamo mandato una e-mail con il link per farlo, o per annullarla.",
    "change.waiting": "Per sicurezza potrai completare la modifica dal {when}. Torna a questo link da quel momento. Puoi annullarla anche ora.",
    "change.ready": "Il periodo di attesa è finito: puoi completare la modifica.",
    "change.cancelled": "Modifica annullata: non cambia nulla. Se non l'avevi chiesta tu, qualcuno conosce la tua password: cambiala subito.",
    "change.new-password": "Cambia la password",
    "change.email-sent": "Ti abbiamo mandato un link al nuovo indirizzo {hint}: aprilo per confermarlo.",
    "change.code-sent": "Ti abbiamo mandato un codice per SMS al nuovo numero {phone}: scrivilo qui sotto.",
    "change.mobile-done": "Fatto: il tuo numero di cellulare è ora {hint}.",
    "change.app-done": "Fatto: l'app di autenticazione è attiva. Da ora i codici li leggi nell'app.",
    "app.title": "Collega l'app di autenticazione",
    "app.intro": "Nell'app di autenticazione aggiungi un account con questa chiave, oppure apri il link dal telefono dove hai l'app.",
    "app.open": "Apri nell'app di autenticazione",
    "app.code": "Codice mostrato dall'app",
    "pin.intro": "Il PIN serve per giustificare le assenze nel registro. Entra con codice utente (o e-mail) e password.",
    "pin.submit": "Chiedi il PIN",
    "signin.intro": "Entra nel registro elettronico con il tuo codice utente (o l'e-mail) e la password.",
    "signin.submit": "Entra",
    "signin.done": "Fatto: torni al registro elettronico.",
    "signin.no-request": "Per entrare, apri il registro elettronico della tua scuola e premi Entra: ti porta qui.",
    "signin.password-title": "Entra con la password",
    "signin.temporary": "Hai un codice temporaneo della segreteria?",
    "signin.passwords-until": "Fino al {date} puoi entrare anche con la password. Dopo, solo con SPID o CIE.",
    "identity.title": "Entra con SPID o CIE",
    "identity.intro": "Usa la tua identità digitale: non ti servono password né codici della scuola.",
    "identity.spid": "Entra con SPID",
    "identity.cie": "Entra con CIE",
    "identity.spid-more": "Maggiori informazioni su SPID",
    "identity.spid-get": "Non hai SPID?",
    "identity.spid-help": "Serve aiuto?",
    "identity.cie-more": "Maggiori informazioni su CIE id",
    "identity.unavailable": "SPID e CIE non rispondono in questo momento. Riprova tra qualche minuto.",
    "identity.going": "Ti portiamo da {name}.",
    "outcome.cancelled": "Hai annullato l'accesso con SPID o CIE. Puoi riprovare, o scegliere un altro modo di entrare.",
    "outcome.level_too_low": "Questa scuola chiede un livello di sicurezza più alto di quello con cui sei entrato. Riprova, e dal gestore scegli un accesso più sicuro (per esempio con la conferma sul telefono).",
    "outcome.not_in_anagrafica": "Il tuo codice fiscale non risulta nell'anagrafica di questa scuola. Chiedi alla segreteria di aggiungerti, poi riprova.",
    "outcome.student_primo_ciclo": "In questa scuola (primo ciclo) nel registro entrano solo i genitori e i tutori. Chiedi a un genitore di entrare con la sua identità digitale.",
    "outcome.account_disabled": "Il tuo account di questa scuola è disattivato. Rivolgiti alla segreteria della scuola.",
    "outcome.federation_unreachable": "SPID o CIE non hanno risposto in tempo. Riprova tra qualche minuto.",
    "outcome.busy": "Il servizio è molto occupato in questo momento. Riprova tra qualche secondo.",
    "outcome.provider_error": "Il gestore dell'identità ha risposto in un modo che non possiamo accettare. Riprova; se succede ancora, scegli un altro gestore o avvisa la scuola.",
    "outcome.provider_unknown": "Questo gestore non fa parte della federazione SPID e CIE. Scegline un altro dall'elenco.",
    "outcome.method_not_offered": "Questa scuola non accetta questo modo di entrare. Scegline un altro tra quelli sopra.",
    "outcome.not_served": "Da qui non puoi entrare nel registro di questa scuola con SPID o CIE. Rivolgiti alla segreteria.",
    "outcome.expired": "La richiesta di accesso è scaduta o è già stata usata. Torna al registro elettronico e premi di nuovo Entra.",
    "outcome.back": "Torna al registro",
    "title.accedi": "Entra nel registro",
    "pin.shown": "Il tuo PIN (mostrato una sola volta)",
    "pin.emailed": "Ti abbiamo inviato il PIN per e-mail.",
    "title.profilo": "Il tuo profilo",
    "profile.intro": "Qui vedi e cambi ciò che è tuo: la password, i contatti, l'app di autenticazione, il PIN e i dispositivi con cui sei entrato.",
    "profile.signed-out-title": "Entra per vedere il tuo profilo",
    "profile.signed-out": "Entra con le credenziali della scuola, con SPID o con CIE: poi torni qui.",
    "profile.sign-in": "Entra",
    "profile.expired": "L'accesso non è andato a buon fine o è scaduto. Premi Entra per riprovare.",
    "profile.who": "I tuoi dati",
    "profile.name": "Nome",
    "profile.school": "Scuola",
    "profile.user-code": "Codice utente",
    "profile.email": "E-mail",
    "profile.mobile": "Cellulare",
    "profile.app": "App di autenticazione",
    "profile.none": "Nessuno. Puoi aggiungerlo qui sotto.",
    "profile.has-app": "Collegata: i codici di verifica li leggi nell'app.",
    "profile.no-app": "Nessuna: i codici di verifica arrivano per SMS.",
    "profile.register": "Entra nel registro",
    "profile.changes": "Modifiche",
    "profile.fresh": "Sei entrato da poco: fino alle {until} puoi fare le modifiche senza entrare di nuovo.",
    "profile.not-fresh": "Per cambiare password, contatti, app o PIN conferma prima che sei tu: ti chiediamo di entrare di nuovo.",
    "profile.confirm": "Conferma che sei tu",
    "profile.confirm-first": "Per questa modifica conferma prima che sei tu: entra di nuovo, poi ripeti la modifica.",
    "profile.password-title": "Cambia la password",
    "profile.password-submit": "Cambia la password",
    "profile.password-done": "Password cambiata. Usa la nuova password da ora.",
    "profile.email-title": "Cambia l'e-mail",
    "profile.new-email": "Nuovo indirizzo e-mail",
    "profile.email-submit": "Cambia l'e-mail",
    "profile.email-sent": "Ti abbiamo mandato un'e-mail: apri il suo link per confermare la modifica.",
    "profile.mobile-title": "Cambia il cellulare",
    "profile.new-mobile": "Nuovo numero di cellulare",
    "profile.mobile-submit": "Cambia il cellulare",
    "profile.app-title": "App di autenticazione",
    "profile.app-enrol": "Collega un'app di autenticazione",
    "profile.app-remove": "Togli l'app di autenticazione",
    "profile.app-removed": "App tolta. Da ora i codici di verifica arrivano per SMS.",
    "profile.pin-title": "PIN per il registro",
    "profile.pin-new": "Chiedi un nuovo PIN",
    "profile.devices": "Dispositivi e registri",
    "profile.this-device": "Questo dispositivo: entrato il {when} con {methods}.",
    "profile.device": "Un altro dispositivo: entrato il {when} con {methods}.",
    "profile.registers": "Registri: {registers}.",
    "profile.sign-out-device": "Esci da questo dispositivo",
    "profile.sign-out-all": "Esci da tutti i dispositivi",
    "profile.signed-out-device": "Sei uscito da quel dispositivo. I registri in cui era entrato sono stati avvisati.",
    "profile.signed-out-all": "Sei uscito da tutti i dispositivi. I registri sono stati avvisati.",
    "profile.events": "Ultimi accessi e modifiche",
    "event.signed_in": "sei entrato con Chiave",
    "event.identity_linked": "sei entrato per la prima volta con SPID o CIE",
    "event.password_changed": "hai cambiato la password",
    "event.password_set": "hai scelto la password",
    "event.pin_issued": "hai chiesto un nuovo PIN",
    "event.email_change_requested": "hai chiesto di cambiare l'e-mail",
    "event.email_changed": "l'e-mail è cambiata",
    "event.mobile_change_requested": "hai chiesto di cambiare il cellulare",
    "event.mobile_changed": "il cellulare è cambiato",
    "event.totp_enrolled": "hai collegato un'app di autenticazione",
    "event.totp_removed": "hai tolto l'app di autenticazione",
    "event.locked": "account bloccato per troppi tentativi",
    "event.signed_out_device": "sei uscito da un dispositivo",
    "event.signed_out_everywhere": "sei uscito da tutti i dispositivi",
    "event.by-school": "dalla segreteria",
    "network": "Il servizio non risponde: riprova tra qualche minuto.",
  },
  en: {
    skip: "Skip to content",
    brand: "School register credentials",
    language: "Italiano",
    "title.index": "Register",
    "title.password-dimenticata": "Forgot your password?",
    "title.attiva": "Activate your credentials",
    "title.recupera": "Recover your credentials",
    "title.conferma-email": "Confirm your e-mail address",
    "title.pin": "Register PIN",
    "title.privacy": "Privacy notice",
    "title.accessibilita": "Accessibility statement",
    "footer.privacy": "Privacy notice",
    "footer.accessibility": "Accessibility statement",
    "footer.forgot": "Forgot your password?",
    "footer.pin": "Register PIN",
    "footer.profile": "Your profile",
    "field.school": "School: name, town or code (codice meccanografico)",
    "school.closed": "This school's credential service is closed. For the register, ask the school office.",
    "title.suffix": "School register",
    "field.cf": "Codice fiscale",
    "field.identifier": "Codice fiscale, user code or e-mail",
    "field.login": "User code or e-mail",
    "field.password": "Password",
    "register.intro":
      "Ask for your school register credentials with your codice fiscale: we e-mail you the link to choose your password.",
    "register.submit": "Register",
    "register.sent": "Check your mailbox: if the codice fiscale is in the school's records, we sent you the link to activate your credentials.",
    "forgot.intro": "Type your codice fiscale, user code or e-mail address: we send you the link to choose a new password.",
    "forgot.submit": "Send the link",
    "forgot.sent": "Check your mailbox: if the details match an account, we sent you the link to choose a new password.",
    "cf.invalid": "The codice fiscale is not valid: check you typed all of it (16 characters).",
    "school.invalid": "Choose the school from the list, or type its code (10 characters, for example RMIC817009).",
    "purpose.activation": "This link activates your school register credentials.",
    "purpose.reset": "This link lets you choose a new school register password.",
    "otp.title": "SMS verification code",
    "otp.title-app": "Authenticator app code",
    "otp.code-app": "Code the app shows",
    "otp.hint-unknown": "We text a code to the mobile number the school has for you.",
    "sent.to": "We sent the link to {hint}.",
    "confirm.new": "Ask for the change again where you asked for it: this link no longer works.",
    "busy": "Please wait…",
    "otp.send": "Send the code",
    "otp.resend": "Send the code again",
    "otp.code": "Code received",
    "otp.verify": "Verify",
    "otp.hint": "We text a code to {phone}.",
    "otp.sent": "Code sent to {phone}.",
    "otp.app": "Type the code your authenticator app shows.",
    "otp.wait": "You can ask for a new code in {seconds} seconds.",
    "otp.attempts": "Attempts left: {attempts}.",
    "password.title": "Choose your password",
    "password.rules": "Password rules",
    "password.new": "New password",
    "password.repeat": "Repeat password",
    "password.submit": "Save the password",
    "password.mismatch": "The two passwords differ.",
    "password.server": "(checked when you save)",
    "done.title": "Done: here is your user code",
    "done.copy": "Copy the code",
    "done.register": "Sign in to the register",
    "done.copied": "Code copied.",
    "done.keep": "Keep your credentials safe: your user code and password open the school register.",
    "adhesion.title": "Last step: be identified at the school office",
    "adhesion.intro":
      "Your credentials become active once the school office identifies you. Print the adhesion form, or save it as a PDF, and bring it to the office with an identity document and your health card: you sign it there. We e-mailed it to you too.",
    "adhesion.print": "Print the form or save it as a PDF",
    "link.missing": "The link is incomplete: open it again from the e-mail, all of it.",
    "link.new": "Ask for a new link",
    "confirm.working": "Confirming your new address…",
    "confirm.done": "Done: your address is now {hint}.",
    "title.modifica": "A change to your account",
    "title.codice-temporaneo": "Do you have a temporary code?",
    "temporary.intro": "Did the school office give you a temporary code, on paper or by e-mail? Type it here with your user code (or e-mail, or codice fiscale) and choose your password.",
    "field.temporary-login": "User code, e-mail or codice fiscale",
    "field.temporary-code": "Temporary code (for example ABCDE-FGHJK)",
    "change.email": "replace your account's e-mail address with {hint}",
    "change.mobile": "set the mobile number {hint}",
    "change.app": "enable an authenticator app",
    "change.asked": "Someone used your account's password to ask to {change}.",
    "change.confirm": "Yes, I asked for it: confirm",
    "change.complete": "Complete the change",
    "change.cancel": "I did not ask for it: cancel",
    "change.why": "Your account has no mobile and no authenticator app yet: for your safety, once confirmed the change waits {hours} hours.",
    "change.scheduled": "Done. You can complete the change from {when}: we e-mailed you the link to do it, or to cancel it.",
    "change.waiting": "For your safety you can complete the change from {when}. Come back to this link then. You can also cancel it now.",
    "change.ready": "The waiting period is over: you can complete the change.",
    "change.cancelled": "Change cancelled: nothing changes. If you did not ask for it, someone knows your password: change it now.",
    "change.new-password": "Change your password",
    "change.email-sent": "We sent a link to the new address {hint}: open it to confirm it.",
    "change.code-sent": "We texted a code to the new number {phone}: type it below.",
    "change.mobile-done": "Done: your mobile number is now {hint}.",
    "change.app-done": "Done: the authenticator app is on. From now on you read the codes in the app.",
    "app.title": "Link your authenticator app",
    "app.intro": "In your authenticator app, add an account with this key, or open the link on the phone that has the app.",
    "app.open": "Open in the authenticator app",
    "app.code": "Code the app shows",
    "pin.intro": "The PIN justifies absences in the register. Log in with your user code (or e-mail) and password.",
    "pin.submit": "Ask for the PIN",
    "signin.intro": "Sign in to the school register with your user code (or e-mail) and password.",
    "signin.submit": "Sign in",
    "signin.done": "Done: back to the school register.",
    "signin.no-request": "To sign in, open your school's register and press Sign in: it brings you here.",
    "signin.password-title": "Sign in with your password",
    "signin.temporary": "Got a temporary code from the school office?",
    "signin.passwords-until": "Until {date} you can also sign in with your password. After that, only with SPID or CIE.",
    "identity.title": "Sign in with SPID or CIE",
    "identity.intro": "Use your digital identity: you need no password and no code from the school.",
    "identity.spid": "Sign in with SPID",
    "identity.cie": "Sign in with CIE",
    "identity.spid-more": "More about SPID",
    "identity.spid-get": "No SPID yet?",
    "identity.spid-help": "Need help?",
    "identity.cie-more": "More about CIE id",
    "identity.unavailable": "SPID and CIE are not answering right now. Try again in a few minutes.",
    "identity.going": "Taking you to {name}.",
    "outcome.cancelled": "You cancelled the sign-in with SPID or CIE. You can try again, or choose another way to sign in.",
    "outcome.level_too_low": "This school asks for a higher security level than the one you signed in with. Try again, and at the provider choose a stronger sign-in (for example with confirmation on your phone).",
    "outcome.not_in_anagrafica": "Your codice fiscale is not in this school's records. Ask the school office to add you, then try again.",
    "outcome.student_primo_ciclo": "At this school (primo ciclo) only parents and guardians use the register. Ask a parent to sign in with their digital identity.",
    "outcome.account_disabled": "Your account at this school is disabled. Contact the school office.",
    "outcome.federation_unreachable": "SPID or CIE did not answer in time. Try again in a few minutes.",
    "outcome.busy": "The service is very busy right now. Try again in a few seconds.",
    "outcome.provider_error": "The identity provider answered in a way we cannot accept. Try again; if it happens again, choose another provider or tell the school.",
    "outcome.provider_unknown": "This provider is not part of the SPID and CIE federation. Choose another from the list.",
    "outcome.method_not_offered": "This school does not accept this way of signing in. Choose another one above.",
    "outcome.not_served": "You cannot sign in to this school's register with SPID or CIE from here. Contact the school office.",
    "outcome.expired": "The sign-in request expired or was already used. Go back to the school register and press Sign in again.",
    "outcome.back": "Back to the register",
    "title.accedi": "Sign in to the register",
    "pin.shown": "Your PIN (shown only once)",
    "pin.emailed": "We e-mailed you the PIN.",
    "title.profilo": "Your profile",
    "profile.intro": "Here you see and change what is yours: the password, the contacts, the authenticator app, the PIN and the devices you signed in with.",
    "profile.signed-out-title": "Sign in to see your profile",
    "profile.signed-out": "Sign in with the school's credentials, with SPID or with CIE: then you come back here.",
    "profile.sign-in": "Sign in",
    "profile.expired": "The sign-in did not succeed or expired. Press Sign in to try again.",
    "profile.who": "Your details",
    "profile.name": "Name",
    "profile.school": "School",
    "profile.user-code": "User code",
    "profile.email": "E-mail",
    "profile.mobile": "Mobile",
    "profile.app": "Authenticator app",
    "profile.none": "None. You can add it below.",
    "profile.has-app": "Linked: you read verification codes in the app.",
    "profile.no-app": "None: verification codes come by SMS.",
    "profile.register": "Sign in to the register",
    "profile.changes": "Changes",
    "profile.fresh": "You signed in recently: until {until} you can make changes without signing in again.",
    "profile.not-fresh": "To change the password, contacts, app or PIN, first confirm it is you: we ask you to sign in again.",
    "profile.confirm": "Confirm it is you",
    "profile.confirm-first": "For this change, first confirm it is you: sign in again, then make the change again.",
    "profile.password-title": "Change the password",
    "profile.password-submit": "Change the password",
    "profile.password-done": "Password changed. Use the new password from now on.",
    "profile.email-title": "Change the e-mail",
    "profile.new-email": "New e-mail address",
    "profile.email-submit": "Change the e-mail",
    "profile.email-sent": "We sent you an e-mail: open its link to confirm the change.",
    "profile.mobile-title": "Change the mobile",
    "profile.new-mobile": "New mobile number",
    "profile.mobile-submit": "Change the mobile",
    "profile.app-title": "Authenticator app",
    "profile.app-enrol": "Link an authenticator app",
    "profile.app-remove": "Remove the authenticator app",
    "profile.app-removed": "App removed. From now on verification codes come by SMS.",
    "profile.pin-title": "Register PIN",
    "profile.pin-new": "Ask for a new PIN",
    "profile.devices": "Devices and registers",
    "profile.this-device": "This device: signed in on {when} with {methods}.",
    "profile.device": "Another device: signed in on {when} with {methods}.",
    "profile.registers": "Registers: {registers}.",
    "profile.sign-out-device": "Sign out of this device",
    "profile.sign-out-all": "Sign out of all devices",
    "profile.signed-out-device": "You signed out of that device. The registers it had entered were told.",
    "profile.signed-out-all": "You signed out of all devices. The registers were told.",
    "profile.events": "Last sign-ins and changes",
    "event.signed_in": "you signed in with Chiave",
    "event.identity_linked": "you signed in with SPID or CIE for the first time",
    "event.password_changed": "you changed the password",
    "event.password_set": "you chose the password",
    "event.pin_issued": "you asked for a new PIN",
    "event.email_change_requested": "you asked to change the e-mail",
    "event.email_changed": "the e-mail changed",
    "event.mobile_change_requested": "you asked to change the mobile",
    "event.mobile_changed": "the mobile changed",
    "event.totp_enrolled": "you linked an authenticator app",
    "event.totp_removed": "you removed the authenticator app",
    "event.locked": "account locked after too many attempts",
    "event.signed_out_device": "you signed out of a device",
    "event.signed_out_everywhere": "you signed out of all devices",
    "event.by-school": "by the school office",
    "network": "The service does not answer: try again in a few minutes.",
  },
};

// The API's problem texts, [Italian, English] by code (filled in by web/build.py).
const PROBLEMS = /* problems: web/build.py */ {};

const $ = (selector) => document.querySelector(selector);
const API = document.querySelector('meta[name="chiave-api"]').content.replace(/\/$/, "");
let language = localStorage.getItem("chiave-language") === "en" ? "en" : "it";

function text(key, values = {}) {
  const template = TEXTS[language][key] ?? TEXTS.it[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function translate() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = text(element.dataset.i18n);
  }
  // What the page said stays said, in the new language, the API's problems too;
  // a text written in both shows one.
  if (said?.answer) problem(said.answer, said.purpose);
  else if (said) say(said.key, said.values, said.kind, said.action);
  for (const block of document.querySelectorAll("main div[lang]")) block.hidden = block.lang !== language;
  // The tab's title keeps its suffix in either language.
  document.title = `${text(`title.${document.body.dataset.page}`)} · ${text("title.suffix")}`;
  const switcher = $("#language");
  switcher.textContent = text("language");
  switcher.lang = language === "it" ? "en" : "it";
  switcher.setAttribute("aria-label", language === "it" ? "Read this page in English" : "Leggi la pagina in italiano");
}

// A sentence of the page's own, kept so that switching language says it again in the other one.
let said = null;

function say(key, values = {}, kind = "info", action = null) {
  show(text(key, values), kind, action);
  said = { key, values, kind, action };
}

function show(message, kind = "info", action = null) {
  said = null;
  const box = $("#message");
  box.replaceChildren();
  if (!message) return;
  const alert = document.createElement("div");
  alert.className = `alert alert-${kind}`;
  alert.setAttribute("role", kind === "danger" ? "alert" : "status");
  alert.textContent = message;
  if (action) {
    const link = document.createElement("a");
    link.className = "btn btn-primary btn-sm ms-2";
    link.href = action.href;
    link.textContent = action.label;
    alert.append(" ", link);
  }
  box.append(alert);
  box.scrollIntoView({ block: "nearest" });
}

// While a call is out, every enabled button waits (no second press), and says so.
// `session`: the account area's calls carry the session cookie (same origin only).
async function call(path, body, { session = false } = {}) {
  const waiting = [...document.querySelectorAll("button:not([disabled])")].filter((b) => b.id !== "language");
  for (const button of waiting) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await send(path, body, session);
  } finally {
    for (const button of waiting) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

async function send(path, body, session = false) {
  try {
    const response = await fetch(API + path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": language },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: session ? "same-origin" : "omit",
      referrerPolicy: "no-referrer",
    });
    const answer = await response.json().catch(() => ({}));
    return { status: response.status, body: answer };
  } catch {
    return { status: 0, body: { detail: text("network") } };
  }
}

// A problem's text in the page's language: the catalogue's (an app code has
// its own wording), else what the API said.
function detailOf(body) {
  const known = PROBLEMS[`${body.code}.${body.otp_method}`] ?? PROBLEMS[body.code];
  if (known) return known[language === "en" ? 1 : 0];
  return body.detail || text("network");
}

// A problem document as a sentence; a dead link offers a new one.
function problem(answer, purpose) {
  explain(answer, purpose);
  said = { answer, purpose };
}

function explain(answer, purpose) {
  const detail = detailOf(answer.body);
  const code = answer.body.code;
  if (["token_expired", "token_used", "token_invalid", "token_superseded"].includes(code)) {
    if (purpose === "contact") {
      // A contact's link: a password reset is not what a new one is.
      show(`${detail} ${text("confirm.new")}`, "danger");
      return;
    }
    const href = purpose === "activation" ? `/${schoolQuery()}` : `/password-dimenticata${schoolQuery()}`;
    show(detail, "danger", { href, label: text("link.new") });
    return;
  }
  if (code === "already_registered") {
    show(detail, "danger", { href: `/password-dimenticata${schoolQuery()}`, label: text("footer.forgot") });
    return;
  }
  let message = detail;
  if (answer.body.attempts_left !== undefined) message += " " + text("otp.attempts", { attempts: answer.body.attempts_left });
  show(message, "danger");
}

// ---- codice fiscale: the check character, as the Agenzia delle Entrate computes it
const ODD = {
  0: 1, 1: 0, 2: 5, 3: 7, 4: 9, 5: 13, 6: 15, 7: 17, 8: 19, 9: 21,
  A: 1, B: 0, C: 5, D: 7, E: 9, F: 13, G: 15, H: 17, I: 19, J: 21, K: 2, L: 4, M: 18,
  N: 20, O: 11, P: 3, Q: 6, R: 8, S: 12, T: 14, U: 16, V: 10, W: 22, X: 25, Y: 24, Z: 23,
};
const SHAPE = /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;

function canonicalCf(raw) {
  return raw.replace(/\s+/g, "").toUpperCase();
}

function validCf(cf) {
  if (!SHAPE.test(cf)) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const c = cf[i];
    if (i % 2 === 0) sum += ODD[c];
    else sum += /[0-9]/.test(c) ? Number(c) : c.charCodeAt(0) - 65;
  }
  return String.fromCharCode(65 + (sum % 26)) === cf[15];
}

// ---- the school: from ?scuola=, else the last one used on this device
function schoolQuery() {
  const school = localStorage.getItem("chiave-school");
  return school ? `?scuola=${encodeURIComponent(school)}` : "";
}

const SCHOOL_CODE = /^[A-Z]{4}[A-Z0-9]{6}$/;
let schoolList = [];

// The school field: prefilled when the school is known, otherwise found by
// name, town or code in the public list of schools (/scuole.json).
function schoolField({ remembered = true } = {}) {
  const field = $("#school");
  if (!field) return null;
  const given = new URLSearchParams(location.search).get("scuola");
  const last = remembered ? localStorage.getItem("chiave-school") : null;
  field.value = (given || last || "").toUpperCase();
  fetch("/scuole.json", { credentials: "omit" })
    .then((response) => (response.ok ? response.json() : { schools: [] }))
    .then((listed) => {
      schoolList = listed.schools || [];
      $("#school-list").replaceChildren(
        ...schoolList.map((entry) => {
          const option = document.createElement("option");
          option.value = entry.code;
          option.label = `${entry.name} — ${entry.town}`;
          return option;
        }),
      );
    })
    .catch(() => {});
  return field;
}

function school() {
  const typed = $("#school").value.trim();
  let value = typed.toUpperCase();
  if (!SCHOOL_CODE.test(value)) {
    // A name or a town that names one school only is that school.
    const wanted = typed.toLowerCase();
    const matching = schoolList.filter((entry) => `${entry.name} ${entry.town}`.toLowerCase().includes(wanted));
    value = wanted && matching.length === 1 ? matching[0].code : "";
  }
  if (!SCHOOL_CODE.test(value)) {
    say("school.invalid", {}, "danger");
    $("#school").focus();
    return null;
  }
  $("#school").value = value;
  localStorage.setItem("chiave-school", value);
  return value;
}

// The school named on the page whenever it is known (a link's flow, ?scuola=,
// this device): its configured name, town and code, from its public profile.
async function nameTheSchool(code) {
  const wanted = (code || "").toUpperCase();
  if (!SCHOOL_CODE.test(wanted)) return;
  let profile;
  try {
    const response = await fetch(`/scuole/${wanted}.json`, { credentials: "omit" });
    if (!response.ok) return;
    profile = await response.json();
  } catch {
    return;
  }
  $("#school-name").textContent = profile.name;
  $("#school-where").textContent = [profile.town, profile.code].filter(Boolean).join(" · ");
  $("#school-bar").hidden = false;
  for (const link of document.querySelectorAll("footer a[href^='/']")) link.search = `?scuola=${profile.code}`;
  for (const slot of document.querySelectorAll("[data-school]")) {
    const value = slot.dataset.school.split(".").reduce((found, key) => found?.[key], profile);
    if (!value) continue;
    slot.textContent = value;
    if (slot.tagName === "A") slot.href = `mailto:${value}`;
  }
  const privacy = $("#privacy-school");
  if (privacy && profile.controller && profile.dpo) privacy.hidden = false;
  const feedback = $("#feedback-school");
  if (feedback && profile.controller) feedback.hidden = false;
  if (profile.closed) {
    say("school.closed", {}, "warning");
    for (const fieldset of document.querySelectorAll("form fieldset")) fieldset.disabled = true;
  }
}

// ---- pages
function registerPage() {
  schoolField();
  const cfField = $("#codice_fiscale");
  $("#register").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = school();
    if (!target) return;
    const cf = canonicalCf(cfField.value);
    cfField.value = cf;
    if (!validCf(cf)) {
      cfField.classList.add("is-invalid");
      cfField.setAttribute("aria-invalid", "true");
      $("#cf-error").textContent = text("cf.invalid");
      cfField.focus();
      return;
    }
    cfField.classList.remove("is-invalid");
    cfField.removeAttribute("aria-invalid");
    $("#cf-error").textContent = "";
    const answer = await call(`/schools/${target}/registrations`, { codice_fiscale: cf });
    if (answer.status === 202) saySent(answer, "register.sent");
    else problem(answer, "activation");
  });
}

// Where the link went, when the school discloses it (explicit disclosure: email_hint).
function saySent(answer, generic) {
  if (answer.body.email_hint) say("sent.to", { hint: answer.body.email_hint }, "success");
  else say(generic, {}, "success");
}

function forgotPage() {
  schoolField();
  // From the sign-in page: the register's request, answered when the new password is set.
  const request = new URLSearchParams(location.search).get("richiesta");
  $("#forgot").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = school();
    if (!target) return;
    const identifier = $("#identifier").value.trim();
    const body = request ? { identifier, request } : { identifier };
    const answer = await call(`/schools/${target}/password-resets`, body);
    if (answer.status === 202) saySent(answer, "forgot.sent");
    else problem(answer, "reset");
  });
}

// The link's token, read from the fragment, which is then cleared from the
// address bar and the history: a shared screen or a later visitor never sees
// it. This tab alone keeps it (session storage), so a reload still works.
function linkToken() {
  const kept = `chiave.token${location.pathname}`;
  const found = /token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem(kept, found[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(kept);
}

// A random key for one confirmation: sent again with the same password (its
// answer lost), it gets the first answer; a new password gets a new key.
function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

// The SMS (or app) step on a token: never sends by itself, so a reload sends nothing.
// The step's resend countdown: one at a time, whichever step started it.
let otpTimer = null;

function otpStep(token, state, onVerified) {
  const step = $("#otp-step");
  step.hidden = false;
  // A page may ask several times (the account area): each step starts as new, an earlier
  // step's listeners gone with their copies, its countdown stopped, its words the SMS's.
  for (const id of ["#otp-send", "#otp-form"]) $(id).replaceWith($(id).cloneNode(true));
  clearInterval(otpTimer);
  $("#otp-countdown").textContent = "";
  $("#otp-code").value = "";
  const send = $("#otp-send");
  send.hidden = false;
  send.disabled = false;
  send.dataset.i18n = "otp.send";
  $("#otp-title").dataset.i18n = "otp.title";
  $("#otp-code-label").dataset.i18n = "otp.code";
  translate();
  const countdown = (seconds) => {
    clearInterval(otpTimer);
    let left = seconds;
    const tick = () => {
      if (left <= 0) {
        clearInterval(otpTimer);
        send.disabled = false;
        $("#otp-countdown").textContent = "";
        return;
      }
      send.disabled = true;
      $("#otp-countdown").textContent = text("otp.wait", { seconds: left });
      left -= 1;
    };
    tick();
    otpTimer = setInterval(tick, 1000);
  };
  if (state.otp_method === "app") {
    send.hidden = true;
    $("#otp-title").dataset.i18n = "otp.title-app";
    $("#otp-code-label").dataset.i18n = "otp.code-app";
    translate();
    $("#otp-hint").textContent = text("otp.app");
  } else {
    // Never "al numero ." : without a hint, the number the school has.
    $("#otp-hint").textContent = state.phone_hint
      ? text("otp.hint", { phone: state.phone_hint })
      : text("otp.hint-unknown");
    if (state.otp_resend_after) countdown(state.otp_resend_after);
  }
  send.addEventListener("click", async () => {
    const answer = await call("/otp/send", { token });
    if (answer.status >= 200 && answer.status < 300) {
      say("otp.sent", { phone: answer.body.phone_hint }, "info");
      send.dataset.i18n = "otp.resend";
      send.textContent = text("otp.resend");
      countdown(answer.body.resend_after);
      $("#otp-code").focus();
    } else {
      problem(answer, state.purpose);
      if (answer.body.retry_after) countdown(answer.body.retry_after);
    }
  });
  $("#otp-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("#otp-code").value.replace(/\s+/g, "");
    const answer = await call("/otp/verify", { token, code });
    if (answer.status === 200) {
      step.hidden = true;
      show("");
      onVerified();
    } else {
      problem(answer, state.purpose);
    }
  });
}

const LIVE_RULES = {
  min_length: (p, policy) => [...p].length >= policy.min_length,
  max_length: (p, policy) => [...p].length <= policy.max_length,
  digit: (p) => /\p{Nd}/u.test(p),
  uppercase: (p) => /\p{Lu}/u.test(p),
  lowercase: (p) => /\p{Ll}/u.test(p),
  special: (p) => /[^\p{L}\p{N}\s]/u.test(p),
};

// The school's rules (from the flow status), shown from the start and
// ticked live as the parent types the new password.
function showRules(state) {
  const policy = state.password_policy;
  const list = $("#rules");
  const items = policy.rules.map((rule) => {
    const item = document.createElement("li");
    item.dataset.rule = rule.rule;
    list.append(item);
    return { rule, item };
  });
  const field = $("#new-password");
  const paint = () => {
    for (const { rule, item } of items) {
      const check = LIVE_RULES[rule.rule];
      if (!check) {
        item.textContent = `• ${rule.description} ${text("password.server")}`;
        continue;
      }
      const met = field.value !== "" && check(field.value, policy);
      // Before anything is typed, a rule is just a rule: neither met nor failed.
      const mark = field.value === "" ? "•" : met ? "✓" : "✗";
      item.textContent = `${mark} ${rule.description}`;
      item.className = met ? "text-success" : "text-body";
      item.dataset.met = String(met);
    }
  };
  field.addEventListener("input", paint);
  paint();
  $("#rules-box").hidden = false;
}

// An account the school identifies in person: not usable yet, so the next
// step is the adhesion form to print, not the register nor the PIN.
function adhesionStep(form) {
  if (!form) return;
  for (const id of ["#done-keep", "#to-pin", "#to-register"]) $(id)?.setAttribute("hidden", "");
  const [year, month, day] = form.date.slice(0, 10).split("-");
  const fields = {
    school: form.school_name,
    "school-code": form.school,
    reference: form.reference,
    date: `${day}/${month}/${year}`,
    surname: form.surname,
    name: form.name,
    "codice-fiscale": form.codice_fiscale,
    "user-code": form.user_code,
  };
  for (const [id, value] of Object.entries(fields)) $(`#form-${id}`).textContent = value;
  $("#adhesion").hidden = false;
  document.body.classList.add("with-adhesion-form");
  $("#print-form").addEventListener("click", () => window.print());
}

function passwordStep(token, state) {
  $("#password-step").hidden = false;
  const field = $("#new-password");
  let key = null;
  let keyFor = null;
  $("#password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (field.value !== $("#repeat-password").value) {
      say("password.mismatch", {}, "danger");
      return;
    }
    if (keyFor !== field.value) [key, keyFor] = [randomKey(), field.value];
    // From the register's sign-in, the answer sets the session's cookie (kept only with credentials).
    const answer = await call(
      "/password-resets/confirm",
      { token, new_password: field.value, confirmation_key: key },
      { session: true },
    );
    if (answer.status === 200 && answer.body.redirect) {
      // A reset asked from the register's sign-in: back to the register, signed in.
      say("signin.done", {}, "success");
      location.assign(answer.body.redirect);
      return;
    }
    if (answer.status === 200) {
      $("#password-step").hidden = true;
      $("#rules-box").hidden = true;
      $("#username").value = answer.body.user_code;
      show("");
      $("#done-step").hidden = false;
      $("#user-code").textContent = answer.body.user_code;
      // The next step: the school's register (as the school configured it), or the PIN.
      if (state.register_url) {
        $("#to-register").href = state.register_url;
        $("#to-register").hidden = false;
      }
      $("#to-pin").href = `/pin${schoolQuery()}`;
      adhesionStep(answer.body.adhesion_form);
      $("#copy").addEventListener("click", async () => {
        await navigator.clipboard?.writeText(answer.body.user_code).catch(() => {});
        say("done.copied", {}, "success");
      });
    } else {
      problem(answer, state.purpose);
    }
  });
}

async function linkPage() {
  const token = linkToken();
  if (!token) {
    say("link.missing", {}, "danger", { href: `/password-dimenticata${schoolQuery()}`, label: text("link.new") });
    return;
  }
  const answer = await call("/flows/status", { token });
  const purpose = document.body.dataset.page === "attiva" ? "activation" : "reset";
  if (answer.status !== 200) {
    problem(answer, purpose);
    return;
  }
  const state = answer.body;
  nameTheSchool(state.school);
  $("#purpose").textContent = text(`purpose.${state.purpose}`);
  const choose = () => {
    showRules(state);
    passwordStep(token, state);
  };
  if (state.otp_required && !state.otp_verified) otpStep(token, state, choose);
  else choose();
}

async function confirmEmailPage() {
  const token = linkToken();
  if (!token) {
    say("link.missing", {}, "danger");
    return;
  }
  const answer = await call("/contacts/confirm", { token });
  const result = $("#confirm-result");
  result.removeAttribute("data-i18n");
  if (answer.status === 200) result.textContent = text("confirm.done", { hint: answer.body.hint });
  else {
    result.textContent = "";
    problem(answer, "contact");
  }
}

// A change asked for with the password alone, on an account whose only
// contact is its e-mail: confirmed here, completed here after the cool-off,
// or cancelled here at any time (the API says which step the link is at).
async function changePage() {
  const token = linkToken();
  if (!token) {
    say("link.missing", {}, "danger");
    return;
  }
  const status = await call("/flows/status", { token });
  if (status.status !== 200) {
    problem(status, "reset");
    return;
  }
  const state = status.body;
  nameTheSchool(state.school);
  const when = (epoch) =>
    new Date(epoch * 1000).toLocaleString(language === "it" ? "it-IT" : "en-GB", {
      dateStyle: "long",
      timeStyle: "short",
      timeZone: "Europe/Rome",
    });
  $("#change-what").textContent = text("change.asked", {
    change: text(`change.${state.change}`, { hint: state.change_hint }),
  });
  const actions = $("#change-actions");
  const done = (key, values = {}, kind = "success", action = null) => {
    actions.hidden = true;
    $("#change-state").textContent = "";
    say(key, values, kind, action);
  };
  actions.hidden = false;
  if (state.purpose === "change_confirmation") {
    $("#change-state").textContent = text("change.why", { hours: Math.round(state.cool_off_s / 3600) });
    $("#change-confirm").hidden = false;
  } else if (Date.now() / 1000 < state.usable_from) {
    $("#change-state").textContent = text("change.waiting", { when: when(state.usable_from) });
  } else {
    $("#change-state").textContent = text("change.ready");
    $("#change-complete").hidden = false;
  }
  $("#change-confirm").addEventListener("click", async () => {
    const answer = await call("/factor-changes/confirm", { token });
    if (answer.status === 200) done("change.scheduled", { when: when(answer.body.usable_from) });
    else problem(answer, "reset");
  });
  $("#change-cancel").addEventListener("click", async () => {
    const answer = await call("/factor-changes/cancel", { token });
    if (answer.status === 200) {
      done("change.cancelled", {}, "warning", {
        href: `/password-dimenticata${schoolQuery()}`,
        label: text("change.new-password"),
      });
    } else problem(answer, "reset");
  });
  $("#change-complete").addEventListener("click", async () => {
    const answer = await call("/factor-changes/complete", { token });
    if (answer.status !== 200) {
      problem(answer, "reset");
      return;
    }
    const next = answer.body;
    actions.hidden = true;
    $("#change-state").textContent = "";
    if (next.change === "email") done("change.email-sent", { hint: next.hint }, "info");
    else if (next.change === "mobile") mobileStep(next);
    else appStep(next.app);
  });
}

// The new number's code (the completion already sent the first one), then the change.
function mobileStep(next) {
  say("change.code-sent", { phone: next.mobile.phone_hint }, "info");
  const state = { purpose: "mobile", phone_hint: next.mobile.phone_hint, otp_resend_after: next.mobile.resend_after };
  otpStep(next.mobile.token, state, async () => {
    const answer = await call("/contacts/confirm", { token: next.mobile.token });
    if (answer.status === 200) say("change.mobile-done", { hint: answer.body.hint }, "success");
    else problem(answer, "reset");
  });
}

function appStep(app) {
  $("#app-step").hidden = false;
  $("#app-form").replaceWith($("#app-form").cloneNode(true));
  $("#app-secret").textContent = app.secret.replace(/(.{4})/g, "$1 ").trim();
  $("#app-link").href = app.otpauth_uri;
  $("#app-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("#app-code").value.replace(/\s+/g, "");
    const answer = await call("/totp/confirm", { enrolment: app.enrolment, code });
    if (answer.status === 200) {
      $("#app-step").hidden = true;
      say("change.app-done", {}, "success");
    } else problem(answer, "reset");
  });
}

// A temporary code from the school office: once, with the login, to the new password.
function temporaryCodePage() {
  schoolField();
  // From the sign-in page: the register's request, answered once the new password is set.
  const request = new URLSearchParams(location.search).get("richiesta");
  $("#temporary").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = school();
    if (!target) return;
    const password = $("#new-password").value;
    if (password !== $("#repeat-password").value) {
      say("password.mismatch", {}, "danger");
      return;
    }
    const answer = await call(
      "/temporary-codes/redeem",
      {
        school: target,
        login: $("#login").value.trim(),
        // As printed (ABCDE-FGHJK) or not: the API ignores case, spaces and dashes.
        temporary_code: $("#temporary-code").value.trim(),
        new_password: password,
        ...(request ? { request } : {}),
      },
      // From the register's sign-in, the answer sets the session's cookie (kept only with credentials).
      { session: true },
    );
    if (answer.status === 200 && answer.body.redirect) {
      say("signin.done", {}, "success");
      location.assign(answer.body.redirect);
      return;
    }
    if (answer.status === 200) {
      $("#temporary").hidden = true;
      show("");
      $("#done-step").hidden = false;
      $("#user-code").textContent = answer.body.user_code;
      $("#to-pin").href = `/pin${schoolQuery()}`;
      adhesionStep(answer.body.adhesion_form);
      return;
    }
    if (answer.body.rules) {
      $("#rules").replaceChildren(
        ...answer.body.rules.map((rule) => {
          const item = document.createElement("li");
          item.textContent = `✗ ${rule.description}`;
          return item;
        }),
      );
    }
    problem(answer, "reset");
  });
}

function pinPage() {
  schoolField();
  let token = null;
  const ask = async () => {
    const target = school();
    if (!target) return;
    const body = { school: target, login: $("#login").value.trim(), password: $("#password").value };
    if (token) body.token = token;
    const answer = await call("/pins", body);
    if (answer.status === 201) {
      $("#pin-form").hidden = true;
      $("#pin-step").hidden = false;
      $("#pin").textContent = answer.body.pin;
      show("");
    } else if (answer.status === 202) {
      say("pin.emailed", {}, "success");
    } else if (answer.status === 403 && answer.body.code === "otp_required" && answer.body.token) {
      token = answer.body.token;
      $("#pin-form").hidden = true;
      show("");
      otpStep(token, { ...answer.body, purpose: "pin" }, ask);
    } else {
      problem(answer, "pin");
    }
  };
  $("#pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask();
  });
}

// The sign-in for a register: the request it sent (?richiesta=), answered
// with SPID or CIE (to the provider and back), or with the login and
// password where the school still allows them (and the account's second
// factor, when asked); then back to the register with the code. A failed
// SPID/CIE sign-in comes back here with ?esito=, saying what to do next; the
// request is kept in this tab meanwhile (sessionStorage), never in a URL it
// was not in.
const OUTCOME_KINDS = { cancelled: "info", busy: "warning", federation_unreachable: "warning" };

async function schoolProfile(code) {
  const wanted = (code || "").toUpperCase();
  if (!SCHOOL_CODE.test(wanted)) return null;
  try {
    const response = await fetch(`/scuole/${wanted}.json`, { credentials: "omit" });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function identityButtons(request, providers) {
  const go = (provider) => {
    const target = school();
    if (!target) return;
    sessionStorage.setItem("chiave-request", request);
    say("identity.going", { name: provider.name }, "info");
    const query = new URLSearchParams({ richiesta: request, provider: provider.id });
    location.assign(`/oidc/rp/${target}/start?${query}`);
  };
  const spid = providers.filter((provider) => provider.profile === "spid");
  const cie = providers.find((provider) => provider.profile === "cie");
  $("#spid-providers").replaceChildren(
    ...spid.map((provider) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      if (provider.logo) {
        const logo = document.createElement("img");
        logo.src = provider.logo;
        logo.alt = "";
        button.append(logo);
      }
      button.append(provider.name);
      button.addEventListener("click", () => go(provider));
      item.append(button);
      return item;
    }),
  );
  $("#spid-button").addEventListener("click", () => {
    const open = $("#spid-providers").hidden;
    $("#spid-providers").hidden = !open;
    $("#spid-button").setAttribute("aria-expanded", String(open));
    if (open) $("#spid-providers button")?.focus();
  });
  if (cie) $("#cie-button").addEventListener("click", () => go(cie));
  return { spid: spid.length > 0, cie: Boolean(cie) };
}

async function signInPage() {
  // A register that serves several schools and named none: the parent chooses, never this
  // device's last school (she may be a parent at two schools).
  schoolField({ remembered: false });
  $("#sign-in-forgot").href = `/password-dimenticata${schoolQuery()}`;
  const given = new URLSearchParams(location.search);
  if (given.get("richiesta")) {
    // The register's request goes with a forgotten password and with the office's code.
    const carried = new URLSearchParams({ richiesta: given.get("richiesta") });
    if (given.get("scuola")) carried.set("scuola", given.get("scuola"));
    $("#sign-in-forgot").href = `/password-dimenticata?${carried}`;
    $("#sign-in-temporary").href = `/codice-temporaneo?${carried}`;
  }
  const outcome = given.get("esito");
  const request = given.get("richiesta") || (outcome ? sessionStorage.getItem("chiave-request") : null);
  // The password form answers at once; what the school offers is shown when its profile comes.
  let token = null;
  const ask = async () => {
    const target = school();
    if (!target) return;
    const body = { request, school: target, login: $("#login").value.trim(), password: $("#password").value };
    if (token) body.token = token;
    // The session's cookie comes with the answer: a fetch that omits credentials would drop it.
    const answer = await call("/sign-in", body, { session: true });
    if (answer.status === 200) {
      say("signin.done", {}, "success");
      location.assign(answer.body.redirect);
    } else if (answer.status === 403 && answer.body.code === "otp_required" && answer.body.token) {
      token = answer.body.token;
      $("#sign-in-form").hidden = true;
      show("");
      otpStep(token, { ...answer.body, purpose: "sign_in" }, ask);
    } else {
      problem(answer, "sign_in");
    }
  };
  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (request) ask();
  });
  if (given.get("scuola")) $("#school-choice").hidden = true;
  if (!request || outcome === "expired") {
    for (const part of ["#sign-in-form", "#sign-in-intro", "#school-choice"]) $(part).hidden = true;
    if (!outcome) say("signin.no-request", {}, "info");
  }
  const profile = await schoolProfile(given.get("scuola"));
  if (outcome) {
    const back = profile?.register_url ? { href: profile.register_url, label: text("outcome.back") } : null;
    say(`outcome.${outcome}`, {}, OUTCOME_KINDS[outcome] ?? "danger", outcome === "expired" ? back : null);
  }
  if (!request || outcome === "expired") return;
  // What the school offers (SPEC §5); without its profile, everything, and the server decides.
  const methods = profile?.sign_in_methods ?? ["spid", "cie", "password"];
  const until = profile?.passwords_until;
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Europe/Rome" });
  const passwords = methods.includes("password") || (until && today <= until);
  const identities = methods.filter((method) => method !== "password");
  if (!passwords) {
    for (const part of ["#sign-in-form", "#sign-in-intro"]) $(part).hidden = true;
  } else if (identities.length) {
    $("#password-title").hidden = false;
  }
  if (passwords && until && !methods.includes("password")) {
    const date = new Date(`${until}T12:00:00`).toLocaleDateString(language === "en" ? "en-GB" : "it-IT", {
      day: "numeric",
      month: "long",
      year: "numeric",
    });
    $("#passwords-until").textContent = text("signin.passwords-until", { date });
    $("#passwords-until").hidden = false;
  }
  if (!identities.length) return;
  $("#identity-sign-in").hidden = false;
  let offered = { spid: false, cie: false };
  try {
    const response = await fetch("/oidc/providers", { credentials: "omit" });
    if (response.ok) offered = identityButtons(request, (await response.json()).providers || []);
  } catch {
    // offered stays empty: the page says SPID and CIE are not answering
  }
  $("#spid-access").hidden = !(offered.spid && identities.includes("spid"));
  $("#cie-access").hidden = !(offered.cie && identities.includes("cie"));
  $("#identity-unavailable").hidden = !$("#spid-access").hidden || !$("#cie-access").hidden;
}

// The account area: what is the parent's own, with the session (never a password here).
// A sensitive change wants a sign-in of the last few minutes: the page says so, and
// "Conferma che sei tu" goes through the sign-in and back.
const METHODS = { pwd: "password", otp: "app", sms: "SMS", spid: "SPID", cie: "CIE" };

function when(epoch) {
  return new Date(epoch * 1000).toLocaleString(language === "it" ? "it-IT" : "en-GB", {
    dateStyle: "long",
    timeStyle: "short",
    timeZone: "Europe/Rome",
  });
}

// Only the time of day: "fino alle 10:35".
function clockTime(epoch) {
  return new Date(epoch * 1000).toLocaleTimeString(language === "it" ? "it-IT" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "Europe/Rome",
  });
}

async function profilePage() {
  const given = new URLSearchParams(location.search);
  const signIn = `${API}/account/sign-in${schoolQuery()}`;
  $("#profile-sign-in").href = signIn;
  $("#profile-confirm").href = signIn;
  if (given.get("esito") === "expired") say("profile.expired", {}, "warning");
  const answer = await call("/account", undefined, { session: true });
  if (answer.status === 401) {
    $("#profile-signed-out").hidden = false;
    return;
  }
  if (answer.status !== 200) {
    problem(answer, "profile");
    return;
  }
  showProfile(answer.body);
  const confirmFirst = () =>
    say("profile.confirm-first", {}, "warning", { href: signIn, label: text("profile.confirm") });
  // A sensitive change: made, or its factor asked first (then made again with its token).
  const change = (path, body, onDone, token = null) => async () => {
    const sent = token ? { ...body, token } : body;
    const made = await call(path, sent, { session: true });
    if (made.status >= 200 && made.status < 300) onDone(made);
    else if (made.status === 401 && made.body.code === "fresh_sign_in_required") confirmFirst();
    else if (made.status === 401) location.reload();
    else if (made.status === 403 && made.body.code === "otp_required" && made.body.token) {
      show("");
      otpStep(made.body.token, { ...made.body, purpose: "contact" }, change(path, body, onDone, made.body.token));
    } else {
      if (made.body.rules) {
        $("#rules").replaceChildren(
          ...made.body.rules.map((rule) => {
            const item = document.createElement("li");
            item.textContent = `✗ ${rule.description}`;
            return item;
          }),
        );
      }
      problem(made, "contact");
    }
  };
  $("#password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = $("#new-password").value;
    if (password !== $("#repeat-password").value) {
      say("password.mismatch", {}, "danger");
      return;
    }
    change("/account/password", { new_password: password }, () => {
      $("#password-form").reset();
      $("#rules").replaceChildren();
      say("profile.password-done", {}, "success");
    })();
  });
  $("#email-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const email = $("#new-email").value.trim();
    change("/account/email", { email }, (made) => say("profile.email-sent", {}, made.body.cool_off_s ? "info" : "success"))();
  });
  $("#mobile-form").addEventListener("submit", (event) => {
    event.preventDefault();
    change("/account/mobile", { mobile: $("#new-mobile").value.trim() }, (made) => {
      if (made.body.token) mobileStep({ mobile: made.body });
      else say("profile.email-sent", {}, "info");
    })();
  });
  $("#app-enrol").addEventListener("click", change("/account/app", {}, (made) => {
    if (made.body.enrolment) appStep(made.body);
    else say("profile.email-sent", {}, "info");
  }));
  $("#app-remove").addEventListener("click", change("/account/app/remove", {}, () => {
    say("profile.app-removed", {}, "success");
    $("#app-remove").hidden = true;
    $("#profile-app").textContent = text("profile.no-app");
  }));
  $("#pin-new").addEventListener("click", change("/account/pin", {}, (made) => {
    if (made.status === 201) {
      $("#pin").textContent = made.body.pin;
      $("#pin-shown").hidden = false;
      show("");
    } else say("pin.emailed", {}, "success");
  }));
  $("#sign-out-all").addEventListener("click", () => signOut("all"));
}

function showProfile(account) {
  $("#profile").hidden = false;
  nameTheSchool(account.school);
  $("#profile-name").textContent = `${account.name} ${account.surname}`;
  $("#profile-school").textContent = `${account.school_name} (${account.school})`;
  $("#profile-user-code").textContent = account.user_code ?? "—";
  $("#profile-email").textContent = account.email_hint ?? text("profile.none");
  $("#profile-mobile").textContent = account.phone_hint ?? text("profile.none");
  $("#profile-app").textContent = text(account.has_app ? "profile.has-app" : "profile.no-app");
  $("#app-remove").hidden = !account.has_app;
  if (account.register_url) {
    $("#profile-register").href = account.register_url;
    $("#profile-register").hidden = false;
  }
  const fresh = Date.now() / 1000 < account.fresh_until;
  $("#profile-fresh").textContent = fresh
    ? text("profile.fresh", { until: clockTime(account.fresh_until) })
    : text("profile.not-fresh");
  $("#profile-confirm").hidden = fresh;
  $("#devices").replaceChildren(
    ...account.devices.map((device) => {
      const item = document.createElement("li");
      item.className = "border-bottom py-2";
      const what = document.createElement("p");
      what.className = "mb-1";
      const methods = device.methods.map((method) => METHODS[method] ?? method).join(" + ");
      what.textContent = text(device.this_device ? "profile.this-device" : "profile.device", {
        when: when(device.signed_in_at),
        methods,
      });
      const registers = document.createElement("p");
      registers.className = "mb-1 small";
      registers.textContent = text("profile.registers", { registers: device.registers.join(", ") });
      const out = document.createElement("button");
      out.type = "button";
      out.className = "btn btn-outline-primary btn-sm";
      out.textContent = text("profile.sign-out-device");
      out.addEventListener("click", () => signOut(device.id));
      // A device that entered no register (only this area) says nothing of registers.
      if (device.registers.length) item.append(what, registers, out);
      else item.append(what, out);
      return item;
    }),
  );
  $("#events").replaceChildren(
    ...account.events.map((event) => {
      const item = document.createElement("li");
      const label = TEXTS[language][`event.${event.action}`] ? text(`event.${event.action}`) : event.action;
      const by = event.actor === "self" ? "" : ` (${text("event.by-school")})`;
      item.textContent = `${when(event.at)}: ${label}${by}.`;
      return item;
    }),
  );
}

async function signOut(device) {
  const answer = await call("/account/sign-out", { device }, { session: true });
  if (answer.status !== 200) {
    problem(answer, "profile");
    return;
  }
  if (answer.body.here) {
    $("#profile").hidden = true;
    $("#profile-signed-out").hidden = false;
    say("profile.signed-out-all", {}, "success");
    return;
  }
  say("profile.signed-out-device", {}, "success");
  const again = await call("/account", undefined, { session: true });
  if (again.status === 200) showProfile(again.body);
}

const PAGES = {
  index: registerPage,
  "password-dimenticata": forgotPage,
  attiva: linkPage,
  recupera: linkPage,
  "conferma-email": confirmEmailPage,
  modifica: changePage,
  "codice-temporaneo": temporaryCodePage,
  pin: pinPage,
  accedi: signInPage,
  profilo: profilePage,
};

document.addEventListener("DOMContentLoaded", () => {
  // Forms are inert until this script runs: without it nothing could send them safely.
  for (const fieldset of document.querySelectorAll("fieldset[data-needs-script]")) fieldset.disabled = false;
  translate();
  $("#language").addEventListener("click", () => {
    language = language === "it" ? "en" : "it";
    localStorage.setItem("chiave-language", language);
    translate();
  });
  PAGES[document.body.dataset.page]?.();
  // The sign-in names only the school the register named: never a guess from this device.
  const remembered = document.body.dataset.page === "accedi" ? null : localStorage.getItem("chiave-school");
  nameTheSchool(new URLSearchParams(location.search).get("scuola") || remembered);
  // Another link opened in this tab: start again from that link's state.
  window.addEventListener("hashchange", () => {
    if (/token=/.test(location.hash)) location.reload();
  });
});

"""The dashboard's words: Kiswahili for every English string, and English for the few
symbolic keys (statuses, notices, event types) that are not already English text."""

from __future__ import annotations

ENGLISH: dict[str, str] = {
    "mobile_money": "Mobile money",
    "card": "Card",
    "bank_account": "Bank account",
    "notice_created": "Customer created.",
    "notice_updated": "Changes saved.",
    "notice_unchanged": "Nothing changed.",
    "notice_suspended": "Customer suspended.",
    "notice_reactivated": "Customer reactivated.",
    "notice_enabled": "Endpoint enabled.",
    "notice_disabled": "Endpoint disabled.",
    "notice_merged": "Customers merged.",
    "notice_redacted": "Personal data erased.",
    "reason_email": "same email",
    "reason_phone": "same phone",
    "reason_mobile_money": "same mobile-money number",
    "reason_name": "same name",
    "event_customer.created": "Customer created",
    "event_customer.updated": "Customer updated",
    "event_customer.deleted": "Customer deleted",
    "event_customer.merged": "Customers merged",
    "event_customer.redacted": "Personal data erased",
    "event_address.created": "Address added",
    "event_address.updated": "Address updated",
    "event_business.created": "Business added",
    "event_business.updated": "Business updated",
    "event_payment_method.created": "Payment method added",
    "event_payment_method.updated": "Payment method updated",
    "event_payment_method.deleted": "Payment method removed",
    "event_webhook_endpoint.disabled": "Webhook endpoint disabled",
}

KISWAHILI: dict[str, str] = {
    # Symbolic keys.
    "active": "hai",
    "inactive": "si hai",
    "suspended": "amesimamishwa",
    "archived": "imehifadhiwa",
    "enabled": "kimewashwa",
    "disabled": "kimezimwa",
    "revoked": "imebatilishwa",
    "mobile_money": "Pesa kwa simu",
    "card": "Kadi",
    "bank_account": "Akaunti ya benki",
    "notice_created": "Mteja ameundwa.",
    "notice_updated": "Mabadiliko yamehifadhiwa.",
    "notice_unchanged": "Hakuna kilichobadilika.",
    "notice_suspended": "Mteja amesimamishwa.",
    "notice_reactivated": "Mteja amerejeshwa.",
    "notice_enabled": "Kituo kimewashwa.",
    "notice_disabled": "Kituo kimezimwa.",
    "notice_merged": "Wateja wameunganishwa.",
    "notice_redacted": "Taarifa binafsi zimefutwa.",
    "reason_email": "barua pepe ileile",
    "reason_phone": "simu ileile",
    "reason_mobile_money": "namba ileile ya pesa kwa simu",
    "reason_name": "jina lilelile",
    # Duplicates, merge, export, erasure and the portal link.
    # Addresses, businesses and payment methods.
    "New address": "Anwani mpya",
    "Edit address": "Hariri anwani",
    "New business": "Biashara mpya",
    "Edit business": "Hariri biashara",
    "One a line: Name <email>.": "Mmoja kwa kila mstari: Jina <barua pepe>.",
    "The customer's billing address": "Anwani ya malipo ya mteja",
    "Add a mobile-money number": "Ongeza namba ya pesa kwa simu",
    "Mobile number": "Namba ya simu",
    "International format; the provider is recognised from the number when it can be.": (
        "Muundo wa kimataifa; mtoa huduma hutambuliwa kutoka kwenye namba inapowezekana."
    ),
    "Provider": "Mtoa huduma",
    "Recognise from the number": "Tambua kutoka kwenye namba",
    "Make it the default payment method": "Ifanye kuwa njia kuu ya malipo",
    "Add": "Ongeza",
    "Make default": "Fanya kuu",
    "Revoke": "Batilisha",
    "Archive": "Hifadhi kumbukumbu",
    "Possible duplicates": "Wanaoweza kuwa nakala",
    "Find a customer": "Tafuta mteja",
    "Find": "Tafuta",
    "Why": "Kwa nini",
    "Merge into this customer": "Unganisha kwa mteja huyu",
    "No likely duplicates.": "Hakuna wanaoelekea kuwa nakala.",
    "Merge customers": "Unganisha wateja",
    "{source} will be merged into {target}, then deleted.": (
        "{source} ataunganishwa kwa {target}, kisha atafutwa."
    ),
    "What moves": "Kinachohamishwa",
    "Business": "Biashara",
    "Payment method": "Njia ya malipo",
    "No addresses, businesses or payment methods.": "Hakuna anwani, biashara wala njia za malipo.",
    "What the customer takes": "Anachochukua mteja",
    "the source's default address": "anwani kuu ya mteja anayeunganishwa",
    "Nothing: it keeps its own fields.": "Hakuna: anabaki na sehemu zake mwenyewe.",
    "Merge and delete the other customer": "Unganisha na umfute mteja mwingine",
    "A customer cannot be merged into itself.": "Mteja hawezi kuunganishwa na yeye mwenyewe.",
    "Export (JSON)": "Hamisha (JSON)",
    "Erase personal data": "Futa taarifa binafsi",
    "This erases the customer's name, email, phone, addresses, businesses and payment-method "
    "details everywhere, events included, for good. The ids stay. It cannot be undone.": (
        "Hii inafuta jina, barua pepe, simu, anwani, biashara na taarifa za njia za malipo za "
        "mteja kila mahali, pamoja na matukio, milele. Vitambulisho vinabaki. Haiwezi kutenduliwa."
    ),
    "Type {email} to confirm": "Andika {email} kuthibitisha",
    "Type the customer's email address exactly to confirm.": (
        "Andika barua pepe ya mteja kama ilivyo kuthibitisha."
    ),
    "Erase for good": "Futa milele",
    "Portal link": "Kiungo cha ukurasa wa mteja",
    "Send this link to the customer only: it opens their own page, where they change their "
    "details, until {time}.": (
        "Mtumie mteja huyu tu kiungo hiki: kinafungua ukurasa wake, anapobadilisha taarifa zake, "
        "hadi {time}."
    ),
    "Link": "Kiungo",
    "Select the link and copy it; it is shown only here.": (
        "Chagua kiungo na ukinakili; kinaonyeshwa hapa tu."
    ),
    "event_customer.created": "Mteja ameundwa",
    "event_customer.updated": "Mteja amesasishwa",
    "event_customer.deleted": "Mteja amefutwa",
    "event_customer.merged": "Wateja wameunganishwa",
    "event_customer.redacted": "Taarifa binafsi zimefutwa",
    "event_address.created": "Anwani imeongezwa",
    "event_address.updated": "Anwani imesasishwa",
    "event_business.created": "Biashara imeongezwa",
    "event_business.updated": "Biashara imesasishwa",
    "event_payment_method.created": "Njia ya malipo imeongezwa",
    "event_payment_method.updated": "Njia ya malipo imesasishwa",
    "event_payment_method.deleted": "Njia ya malipo imeondolewa",
    "event_webhook_endpoint.disabled": "Kituo cha webhook kimezimwa",
    # Page frame and navigation.
    "Skip to content": "Ruka hadi maudhui",
    "Main": "Menyu kuu",
    "Language": "Lugha",
    "Home": "Mwanzo",
    "Customers": "Wateja",
    "Events": "Matukio",
    "Webhooks": "Webhooks",
    "Sign out": "Toka",
    "Pages": "Kurasa",
    "Next page": "Ukurasa unaofuata",
    "Something went wrong": "Kuna tatizo",
    "Back to the dashboard": "Rudi kwenye dashibodi",
    # Sign-in.
    "Sign in": "Ingia",
    "Sign in to mteja": "Ingia kwenye mteja",
    "Secret API key": "Ufunguo wa siri wa API",
    "It starts with mteja_sk_. The first start of the server printed one; "
    "`mteja keys create` makes more.": "Unaanza na mteja_sk_. Seva ilichapisha mmoja "
    "ilipowashwa mara ya kwanza; `mteja keys create` huunda zaidi.",
    "That key did not work. Check that you copied the whole secret key and that it has "
    "not been revoked.": "Ufunguo huo haukufanya kazi. Hakikisha umenakili ufunguo wote wa "
    "siri na kwamba haujabatilishwa.",
    "You have signed out.": "Umetoka.",
    "Test mode": "Hali ya majaribio",
    "You signed in with a test key: you see and change test data only, never live data.": (
        "Umeingia kwa ufunguo wa majaribio: unaona na kubadilisha data ya majaribio tu, "
        "kamwe si data halisi."
    ),
    "Too many failed sign-ins from your address. Wait {seconds} seconds, then try again.": (
        "Majaribio mengi mno ya kuingia yameshindwa kutoka anwani yako. Subiri sekunde "
        "{seconds}, kisha ujaribu tena."
    ),
    "Your session has ended: it was signed out, it expired, or its API key was revoked or "
    "expired. Please sign in again.": (
        "Kipindi chako kimeisha: kilitolewa, muda wake ulikwisha, au ufunguo wake wa API "
        "ulibatilishwa au muda wake ulikwisha. Tafadhali ingia tena."
    ),
    # Home.
    "Customers by status": "Wateja kwa hali",
    "New customers per day, last 30 days": "Wateja wapya kwa siku, siku 30 zilizopita",
    "{count} in total; days in UTC.": "Jumla {count}; siku kwa saa za UTC.",
    "Show the numbers": "Onyesha idadi",
    "Day": "Siku",
    "New customers": "Wateja wapya",
    # Customers.
    "New customer": "Mteja mpya",
    "Search name, email or phone": "Tafuta jina, barua pepe au simu",
    "Any status": "Hali yoyote",
    "Created from": "Imeundwa kuanzia",
    "Created until": "Imeundwa hadi",
    "Search": "Tafuta",
    "Clear": "Futa vichujio",
    "No customers match.": "Hakuna mteja anayelingana.",
    "Name": "Jina",
    "Email": "Barua pepe",
    "Phone": "Simu",
    "Status": "Hali",
    "Created": "Imeundwa",
    "Updated": "Imesasishwa",
    "Edit": "Hariri",
    "Suspend": "Simamisha",
    "Reactivate": "Rejesha",
    "Details": "Taarifa",
    "ID": "Kitambulisho",
    "Billing address": "Anwani ya malipo",
    "Default payment method": "Njia kuu ya malipo",
    "Custom data": "Data maalum",
    "Addresses": "Anwani",
    "Address": "Anwani",
    "Description": "Maelezo",
    "default": "kuu",
    "None yet.": "Bado hakuna.",
    "Only the newest 100 are shown.": "Ni 100 za karibuni tu zinazoonyeshwa.",
    "Businesses": "Biashara",
    "Company number": "Namba ya usajili wa kampuni",
    "Tax identifier": "Namba ya mlipakodi",
    "Contacts": "Watu wa mawasiliano",
    "Payment methods": "Njia za malipo",
    "Type": "Aina",
    "expires": "inaisha",
    "Timeline": "Historia",
    "Field": "Sehemu",
    "Before": "Kabla",
    "After": "Baada",
    "Older events": "Matukio ya zamani zaidi",
    "No events yet.": "Bado hakuna matukio.",
    # The customer form.
    "Edit customer": "Hariri mteja",
    "Customer": "Mteja",
    "Please correct the fields marked below.": (
        "Tafadhali sahihisha sehemu zilizowekewa alama hapa chini."
    ),
    "International format (+255 788 323 255), or a national number with the country "
    "below.": "Muundo wa kimataifa (+255 788 323 255), au namba ya ndani pamoja na nchi "
    "hapa chini.",
    "External ID": "Kitambulisho chako",
    "Your own id for this customer (your user or CRM id); unique in the account.": (
        "Kitambulisho chako cha mteja huyu (cha mfumo wako au CRM); hakijirudii katika akaunti."
    ),
    "Address line 1": "Anwani, mstari wa 1",
    "Address line 2": "Anwani, mstari wa 2",
    "City": "Jiji",
    "Region": "Mkoa",
    "Postal code": "Namba ya posta",
    "Country": "Nchi",
    "Two letters, like TZ or KE. Leave every address field empty for no address.": (
        "Herufi mbili, kama TZ au KE. Acha sehemu zote za anwani tupu kama hakuna anwani."
    ),
    "Custom data (JSON object)": "Data maalum (kitu cha JSON)",
    'For example {"crm_id": "A-1029"}. Leave empty for none.': (
        'Kwa mfano {"crm_id": "A-1029"}. Acha tupu kama hakuna.'
    ),
    "Save changes": "Hifadhi mabadiliko",
    "Create customer": "Unda mteja",
    "Cancel": "Ghairi",
    "Someone else changed this customer while you were editing. Here it is as it is now: "
    "make your change again.": "Mtu mwingine amembadilisha mteja huyu ulipokuwa "
    "ukihariri. Hivi ndivyo alivyo sasa: fanya badiliko lako tena.",
    # Events.
    "Every type": "Kila aina",
    "Show": "Onyesha",
    "customer": "mteja",
    "Show the data": "Onyesha data",
    "What happened": "Kilichotokea",
    "Data": "Data",
    "Send again to every subscribed endpoint": "Tuma tena kwa kila kituo kilichojisajili",
    "Queued for delivery again to {count} endpoint(s).": (
        "Imepangwa kutumwa tena kwa vituo {count}."
    ),
    # Webhooks.
    "Webhook endpoints": "Vituo vya webhook",
    "Webhook endpoint": "Kituo cha webhook",
    "New endpoint": "Kituo kipya",
    "No webhook endpoints yet.": "Bado hakuna vituo vya webhook.",
    "URL": "URL",
    "Enable": "Washa",
    "Disable": "Zima",
    "Failing since": "Kinashindwa tangu",
    "Delivery attempts": "Majaribio ya kutuma",
    "Event": "Tukio",
    "Attempt": "Jaribio",
    "Result": "Matokeo",
    "Duration": "Muda",
    "When": "Lini",
    "Actions": "Vitendo",
    "failed": "imeshindwa",
    "Redeliver": "Tuma tena",
    "No delivery attempts yet.": "Bado hakuna majaribio ya kutuma.",
    "Where mteja sends events: https://…": "Mahali mteja inapotuma matukio: https://…",
    "Event types separated by commas: customer.*, payment_method.created, or * for all.": (
        "Aina za matukio, zikitenganishwa kwa koma: customer.*, payment_method.created, "
        "au * kwa yote."
    ),
    "Create endpoint": "Unda kituo",
    "Endpoint created": "Kituo kimeundwa",
    "Copy the signing secret now: it is shown only once.": (
        "Nakili siri ya kusaini sasa: inaonyeshwa mara moja tu."
    ),
    "Signing secret": "Siri ya kusaini",
    "Go to the endpoint": "Nenda kwenye kituo",
    # Messages of the dashboard's own checks.
    "That page does not exist.": "Ukurasa huo haupo.",
    "The form is too large.": "Fomu ni kubwa mno.",
    "The form was not sent as a web form.": "Fomu haikutumwa kama fomu ya wavuti.",
    "The form could not be read.": "Fomu haikuweza kusomwa.",
    "The form was sent from another site.": "Fomu ilitumwa kutoka tovuti nyingine.",
    "The form has expired. Go back, reload the page and try again.": (
        "Muda wa fomu umekwisha. Rudi nyuma, pakia ukurasa upya na ujaribu tena."
    ),
    "Choose a status from the list.": "Chagua hali kutoka kwenye orodha.",
    "Choose an event type from the list.": "Chagua aina ya tukio kutoka kwenye orodha.",
    "Search for at least 2 and at most 256 characters.": "Tafuta kwa herufi 2 hadi 256.",
    "Dates are written as year-month-day, like 2026-11-25.": (
        "Tarehe huandikwa mwaka-mwezi-siku, kama 2026-11-25."
    ),
}

"""The portal's words in Kiswahili; the English is the key itself (and a few symbolic
keys, in ``ENGLISH``). A test holds the catalogue to every string the templates use."""

from __future__ import annotations

ENGLISH: dict[str, str] = {
    "notice_profile": "Your name and phone are saved.",
    "notice_address_added": "Address added.",
    "notice_address_saved": "Address saved.",
    "notice_method_added": "Mobile-money number added.",
    "notice_method_default": "Default payment method changed.",
    "notice_removed": "Payment method removed.",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "address_city": "City or town",
    "address_state": "Region",
    "address_postal_code": "Postal code",
    "address_country": "Country",
}

KISWAHILI: dict[str, str] = {
    "notice_profile": "Jina na simu yako vimehifadhiwa.",
    "notice_address_added": "Anwani imeongezwa.",
    "notice_address_saved": "Anwani imehifadhiwa.",
    "notice_method_added": "Namba ya pesa kwa simu imeongezwa.",
    "notice_method_default": "Njia kuu ya malipo imebadilishwa.",
    "notice_removed": "Njia ya malipo imeondolewa.",
    "address_line1": "Anwani, mstari wa 1",
    "address_line2": "Anwani, mstari wa 2",
    "address_city": "Jiji au mji",
    "address_state": "Mkoa",
    "address_postal_code": "Namba ya posta",
    "address_country": "Nchi",
    "Language": "Lugha",
    "Your billing details": "Taarifa zako za malipo",
    "Back to the shop": "Rudi dukani",
    "Please correct the fields marked below.": (
        "Tafadhali sahihisha sehemu zilizowekewa alama hapa chini."
    ),
    "Name and phone": "Jina na simu",
    "Name": "Jina",
    "Phone": "Simu",
    "International format, like +255 788 323 255.": "Muundo wa kimataifa, kama +255 788 323 255.",
    "Save": "Hifadhi",
    "Billing addresses": "Anwani za malipo",
    "default": "kuu",
    "Use for billing": "Tumia kwa malipo",
    "Save address": "Hifadhi anwani",
    "No address yet.": "Bado hakuna anwani.",
    "Add an address": "Ongeza anwani",
    "Two letters, like TZ or KE.": "Herufi mbili, kama TZ au KE.",
    "Add address": "Ongeza anwani",
    "Payment methods": "Njia za malipo",
    "Make default": "Fanya kuu",
    "Remove": "Ondoa",
    "No payment method yet.": "Bado hakuna njia ya malipo.",
    "Add a mobile-money number": "Ongeza namba ya pesa kwa simu",
    "Mobile number": "Namba ya simu",
    "International format, like +255 754 123 456. We recognise the network from the number.": (
        "Muundo wa kimataifa, kama +255 754 123 456. Tunatambua mtandao kutoka kwenye namba."
    ),
    "Provider": "Mtoa huduma",
    "Recognise from the number": "Tambua kutoka kwenye namba",
    "Make it my default": "Ifanye kuwa njia yangu kuu",
    "Add number": "Ongeza namba",
    "This page works until {time}.": "Ukurasa huu unafanya kazi hadi {time}.",
    # Refusals.
    "Link no longer valid": "Kiungo hakifanyi kazi tena",
    "This link has expired. Ask for a new one where you got it.": (
        "Muda wa kiungo hiki umekwisha. Omba kingine ulipokipata."
    ),
    "This account's personal data was erased, so there is nothing to change here.": (
        "Taarifa binafsi za akaunti hii zimefutwa, kwa hiyo hakuna cha kubadilisha hapa."
    ),
    "This account no longer exists.": "Akaunti hii haipo tena.",
    "Not found": "Haikupatikana",
    "This page does not exist. Check the link.": "Ukurasa huu haupo. Kagua kiungo.",
    "Not sent": "Haikutumwa",
    "The form is too large.": "Fomu ni kubwa mno.",
    "The form was not sent as a web form.": "Fomu haikutumwa kama fomu ya wavuti.",
    "The form could not be read.": "Fomu haikuweza kusomwa.",
    "The form was sent from another site.": "Fomu ilitumwa kutoka tovuti nyingine.",
    "The form has expired. Go back, reload the page and try again.": (
        "Muda wa fomu umekwisha. Rudi nyuma, pakia ukurasa upya na ujaribu tena."
    ),
}

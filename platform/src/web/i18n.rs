//! The two languages of the pages and messages: every text once per language, in one table
//! ([`Texts`]), so a missing translation is a compile error.

use axum::http::{HeaderMap, header};
use ereceipt_core::transaction::Locale;

/// A language of the pages and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language of a receipt's locale.
    pub(crate) fn of_locale(locale: Locale) -> Self {
        match locale {
            Locale::Chinese => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// `zh` or `en`, as in the language cookie and the switch links.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The `lang` attribute of a page.
    pub(crate) fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// Parses a cookie or switch value.
    pub(crate) fn parse(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The language of a request: the `lang` cookie, else the first of `Accept-Language` we
    /// speak, else English.
    pub(crate) fn of_request(headers: &HeaderMap, cookie: Option<&str>) -> Self {
        if let Some(lang) = cookie.and_then(Lang::parse) {
            return lang;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        for tag in accept.split(',') {
            let tag = tag.split(';').next().unwrap_or_default().trim();
            let primary = tag.split('-').next().unwrap_or_default();
            if primary.eq_ignore_ascii_case("zh") {
                return Lang::Zh;
            }
            if primary.eq_ignore_ascii_case("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The other language (for the switch link).
    pub(crate) fn other(self) -> Self {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The texts in this language.
    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

/// Every text of the pages and messages.
#[derive(Debug)]
pub(crate) struct Texts {
    pub(crate) switch_name: &'static str,
    pub(crate) portal_title: &'static str,
    pub(crate) portal_intro: &'static str,
    pub(crate) phone_label: &'static str,
    pub(crate) send_code: &'static str,
    pub(crate) code_label: &'static str,
    pub(crate) sign_in: &'static str,
    pub(crate) sign_out: &'static str,
    pub(crate) code_sent: &'static str,
    pub(crate) bad_phone: &'static str,
    pub(crate) bad_code: &'static str,
    pub(crate) locked: &'static str,
    pub(crate) too_many: &'static str,
    pub(crate) expired_form: &'static str,
    pub(crate) not_found: &'static str,
    pub(crate) internal: &'static str,
    pub(crate) receipts_title: &'static str,
    pub(crate) no_receipts: &'static str,
    pub(crate) date: &'static str,
    pub(crate) merchant: &'static str,
    pub(crate) amount: &'static str,
    pub(crate) download: &'static str,
    pub(crate) back: &'static str,
    pub(crate) receipt_title: &'static str,
    pub(crate) verify_title: &'static str,
    pub(crate) verify_intro: &'static str,
    pub(crate) verify_button: &'static str,
    pub(crate) verify_link: &'static str,
    pub(crate) portal_link: &'static str,
    pub(crate) verdict_authentic: &'static str,
    pub(crate) verdict_tampered: &'static str,
    pub(crate) verdict_not_authentic: &'static str,
    pub(crate) verdict_unreadable: &'static str,
    pub(crate) altered_fields: &'static str,
    pub(crate) checks: &'static str,
    pub(crate) sms_receipt: &'static str,
    pub(crate) sms_valid: &'static str,
    pub(crate) pull_ready: &'static str,
    pub(crate) code_message: &'static str,
    pub(crate) email_subject: &'static str,
    pub(crate) email_intro: &'static str,
    pub(crate) email_link: &'static str,
    pub(crate) email_attached: &'static str,
}

const EN: Texts = Texts {
    switch_name: "English",
    portal_title: "Your receipts",
    portal_intro: "Sign in with the phone number you gave at the till to see and download your receipts.",
    phone_label: "Phone number (with country code, e.g. +86…)",
    send_code: "Send me a code",
    code_label: "6-digit code",
    sign_in: "Sign in",
    sign_out: "Sign out",
    code_sent: "If receipts were delivered to this number, a code is on its way. It is valid for 10 minutes.",
    bad_phone: "That is not a phone number in international form, such as +8613800138000.",
    bad_code: "That code is wrong or has expired. Request a new one if needed.",
    locked: "Too many wrong codes for this number. Try again in 15 minutes.",
    too_many: "Too many requests. Please wait a while and try again.",
    expired_form: "This form has expired. Please reload the page and try again.",
    not_found: "There is no such receipt here.",
    internal: "Something went wrong on our side. Please try again later.",
    receipts_title: "Receipts delivered to your number",
    no_receipts: "No receipts yet.",
    date: "Date",
    merchant: "Merchant",
    amount: "Amount",
    download: "Download PNG",
    back: "Back",
    receipt_title: "Receipt",
    verify_title: "Check a receipt",
    verify_intro: "Upload a receipt image (PNG or JPEG) to check that it is authentic and has not been altered.",
    verify_button: "Check",
    verify_link: "Check a receipt",
    portal_link: "My receipts",
    verdict_authentic: "This receipt is authentic and has not been altered.",
    verdict_tampered: "This receipt has been altered. The changed areas are outlined in red.",
    verdict_not_authentic: "This receipt could not be confirmed as issued by a registered terminal.",
    verdict_unreadable: "This file is not a receipt image we can read.",
    altered_fields: "Altered fields",
    checks: "Checks",
    sms_receipt: "your receipt",
    sms_valid: "link valid 14 days",
    pull_ready: "your receipt is ready. Sign in at",
    code_message: "Your ereceipt sign-in code is",
    email_subject: "Your receipt from",
    email_intro: "Thank you for your purchase. Your receipt is below and attached.",
    email_link: "View it online",
    email_attached: "The attached PNG carries the signed record: it can be checked at any time.",
};

const ZH: Texts = Texts {
    switch_name: "中文",
    portal_title: "我的电子签购单",
    portal_intro: "使用您在收银台留下的手机号码登录，即可查看和下载您的电子签购单。",
    phone_label: "手机号码（含国家代码，如 +86…）",
    send_code: "发送验证码",
    code_label: "6 位验证码",
    sign_in: "登录",
    sign_out: "退出",
    code_sent: "如果有签购单发送到此号码，验证码已发出，10 分钟内有效。",
    bad_phone: "手机号码格式不正确，请使用国际格式，如 +8613800138000。",
    bad_code: "验证码错误或已过期，如有需要请重新获取。",
    locked: "此号码验证码错误次数过多，请 15 分钟后再试。",
    too_many: "请求过于频繁，请稍后再试。",
    expired_form: "表单已过期，请刷新页面后重试。",
    not_found: "没有找到这张签购单。",
    internal: "系统出现问题，请稍后再试。",
    receipts_title: "发送到您号码的签购单",
    no_receipts: "暂无签购单。",
    date: "日期",
    merchant: "商户",
    amount: "金额",
    download: "下载 PNG",
    back: "返回",
    receipt_title: "签购单",
    verify_title: "验证签购单",
    verify_intro: "上传签购单图片（PNG 或 JPEG），检查其是否真实、是否被篡改。",
    verify_button: "验证",
    verify_link: "验证签购单",
    portal_link: "我的签购单",
    verdict_authentic: "此签购单真实有效，未被篡改。",
    verdict_tampered: "此签购单已被篡改，改动区域已用红框标出。",
    verdict_not_authentic: "无法确认此签购单由已登记的终端签发。",
    verdict_unreadable: "无法读取此文件，它不是签购单图片。",
    altered_fields: "被改动的字段",
    checks: "检查项",
    sms_receipt: "您的电子签购单",
    sms_valid: "链接 14 天内有效",
    pull_ready: "您的电子签购单已保存，请登录",
    code_message: "您的电子签购单登录验证码为",
    email_subject: "您的电子签购单：",
    email_intro: "感谢您的惠顾。您的签购单见下方及附件。",
    email_link: "在线查看",
    email_attached: "附件 PNG 含有签名记录，可随时验证。",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_wins_then_accept_language() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            "fr-FR;q=0.9, zh-CN;q=0.8, en;q=0.5".parse().unwrap(),
        );
        assert_eq!(Lang::of_request(&headers, None), Lang::Zh);
        assert_eq!(Lang::of_request(&headers, Some("en")), Lang::En);
        assert_eq!(Lang::of_request(&HeaderMap::new(), None), Lang::En);
    }
}

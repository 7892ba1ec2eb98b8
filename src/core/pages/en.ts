import type { Messages } from './texts.js';

/** The pages in English. */
export const en: Messages = {
  order: 'Order',
  reference: 'Reference',
  shop: 'Back to the shop',
  retry: 'Try again',
  retryInShop: 'Try again from the shop',
  again: 'Try again',
  redirect: {
    title: 'Redirecting to payment',
    heading: 'Taking you to the payment page…',
    message: 'If nothing happens, tap the button below.',
    submit: 'Continue to payment',
  },
  result: {
    paid: { heading: 'Payment received', message: 'Thank you: your payment has been received.' },
    pending: {
      heading: 'Waiting for the payment to be confirmed',
      message: 'We are confirming the payment with the payment provider. If you have paid, please do not pay again.',
    },
    failed: {
      heading: 'The payment did not go through',
      message: 'The payment was declined or not completed. You can try again, or choose another way to pay.',
    },
    cancelled: { heading: 'Payment cancelled', message: 'You left the payment page; the order has not been paid.' },
    closed: {
      heading: 'This order is closed',
      message: 'This order was closed or has expired and can no longer be paid. To buy, order again in the shop.',
    },
    refunded: {
      heading: 'Refunded',
      message:
        'This order has been refunded to the account you paid with; ' +
        'when the money arrives depends on the payment provider.',
    },
  },
  unpaid: {
    heading: 'Not paid yet',
    message:
      'We have not received the payment for this order yet. If you paid, the confirmation may still arrive: ' +
      'refresh this page in a while. Otherwise you can try again.',
  },
  checking: (seconds, attempt, attempts) => `Checking again in ${seconds} s (${attempt} of ${attempts})…`,
  errors: {
    not_found: { heading: 'Order not found', message: 'This order does not exist, or cannot be paid here.' },
    expired: { heading: 'This order can no longer be paid', message: 'It was closed, or it has expired.' },
    paid: { heading: 'Already paid', message: 'This order has been paid already; there is nothing more to pay.' },
    busy: { heading: 'Please try again in a moment', message: 'A payment for this order was started a moment ago.' },
    provider: {
      heading: 'Could not reach the payment provider',
      message: 'The payment service is not available right now. Please try again later, or choose another way to pay.',
    },
    other: {
      heading: 'Something went wrong',
      message:
        'The request could not be completed; please try again later. ' +
        'If you contact the shop, quote the reference below.',
    },
  },
};

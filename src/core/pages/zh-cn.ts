import type { Messages } from './texts.js';

/** The pages in Simplified Chinese, the default. */
export const zhCN: Messages = {
  order: '订单号',
  reference: '参考编号',
  shop: '返回商店',
  retry: '重新支付',
  retryInShop: '返回商店重新支付',
  again: '重试',
  redirect: {
    title: '正在前往支付',
    heading: '正在前往支付…',
    message: '如果页面没有自动跳转，请点击下面的按钮。',
    submit: '继续支付',
  },
  result: {
    paid: { heading: '支付成功', message: '我们已收到您的付款，谢谢！' },
    pending: {
      heading: '正在确认支付结果',
      message: '正在向支付机构确认付款，请稍候。如果您已经付款，请不要重复支付。',
    },
    failed: { heading: '支付未成功', message: '这次支付被拒绝或没有完成。您可以重新支付，或换一种支付方式。' },
    cancelled: { heading: '支付已取消', message: '您已离开支付页面，订单尚未支付。' },
    closed: { heading: '订单已关闭', message: '这笔订单已关闭或已过期，不能再支付。如需购买，请返回商店重新下单。' },
    refunded: { heading: '已退款', message: '这笔订单已退款，款项将退回原支付账户，到账时间以支付机构为准。' },
  },
  unpaid: {
    heading: '暂未收到付款',
    message: '我们还没有收到这笔订单的付款。如果您已经付款，结果可能稍后到达，请稍后刷新本页；否则可以重新支付。',
  },
  checking: (seconds, attempt, attempts) => `${seconds} 秒后自动刷新（第 ${attempt}/${attempts} 次确认）`,
  errors: {
    not_found: { heading: '找不到这笔订单', message: '订单不存在，或不能在这里支付。' },
    expired: { heading: '订单已失效', message: '这笔订单已关闭或已过期，不能再支付。' },
    paid: { heading: '订单已支付', message: '这笔订单已经付过款，无需重复支付。' },
    busy: { heading: '请稍后再试', message: '这笔订单刚刚发起过支付，请稍等片刻再试。' },
    provider: {
      heading: '暂时无法连接支付机构',
      message: '支付服务暂时不可用，请稍后再试，或换一种支付方式。',
    },
    other: {
      heading: '出了点问题',
      message: '请求没有完成，请稍后再试。如需联系商家，请提供下面的参考编号。',
    },
  },
};

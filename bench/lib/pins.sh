# The train flags a benchmark pins so its committed tables reproduce after train's defaults moved on:
# MINE (rounds of hard-negative mining; default 0, as the tables were made; train's own default is 2) and
# WORD_HEAD (train --word-head; default 0, as the tables before session 17 were made; train's own default is 20,
# with the shipped word bank). A flag named in TRAIN_FLAGS wins over its pin. Usage, after sourcing:
#   pinned=($(pinned_train_flags)); rnn-wake train ... "${pinned[@]}" ${TRAIN_FLAGS:-}
pinned_train_flags() {
  [[ "${TRAIN_FLAGS:-}" == *--mine* ]] || echo "--mine ${MINE:-0}"
  [[ "${TRAIN_FLAGS:-}" == *--word-head* ]] || echo "--word-head ${WORD_HEAD:-0}"
}

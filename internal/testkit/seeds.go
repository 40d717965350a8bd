package testkit

// ONTAPUserSeedRequest is the example request of shared/seeds/001 (ONTAP
// "Create an S3 user configuration"), byte for byte: the contract that the
// ONTAP handler's tests and the end-to-end tests both send verbatim.
const ONTAPUserSeedRequest = `{
  "access_key": "Pz3SB54G2B_6dsXQPrA5HrTPcf478qoAW6_Xx6qyqZ948AgZ_7YfCf_9nO87YoZmskxx3cq41U2JAH2M3_fs321B4rkzS3a_oC5_8u7D8j_45N8OsBCBPWGD_1d_ccfq",
  "comment": "S3 user",
  "name": "user-1",
  "svm": {
    "_links": {
      "self": {
        "href": "/api/resourcelink"
      }
    },
    "name": "svm1",
    "uuid": "02c9e252-41be-11e9-81d5-00a0986138f7"
  }
}`
